"""A browser walks the README's demo: headless Chromium (Selenium) logs in as the demo organizer,
confirms a pending record, accepts a matching proposal, and as the demo auditor opens the charts.

The server is started as the README's first command does (`timebank serve --demo` on a fresh data
directory). Screenshots go to docs/screenshots/ with TIMEBANK_UPDATE_SCREENSHOTS=1 (the README shows
them), else to the test's tmp directory; each is taken when the page shows what the test checks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.server import Deployment, free_port
from timebank.clock import BEIJING

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
                       reason=f"needs Debian's headless Chromium: apt-get install chromium chromium-driver ({CHROMIUM}, {CHROMEDRIVER})"),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install '.[test]')")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as seen  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


class Api:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, token: str, body: Any = None, status: int = 200) -> Any:
        response = requests.request(method, self.base + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == status, response.text
        return response.json() if response.content else None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """`timebank serve --demo` on a fresh data directory (SQLite, the README's default), run from this
    checkout. Seeding the demo takes half a minute before the server answers: a longer wait than
    Deployment.server's."""
    data_dir = tmp_path_factory.mktemp("demo")
    env = {**Deployment(data_dir).env, "PYTHONPATH": str(ROOT)}
    env.pop("TIMEBANK_CALENDAR", None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(data_dir / "server.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while not _answers(base):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the demo server did not start:\n" + (data_dir / "server.log").read_text())
                time.sleep(0.2)
            yield base, json.loads((data_dir / "demo-tokens.json").read_text(encoding="utf-8"))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/api/health", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


@pytest.fixture
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def a_proposal_for_the_demo_volunteer(api: Api, access: dict[str, Any]) -> str:
    """The demo has no needs yet: an admin registers the demo volunteer's community, the demo
    organizer posts a need there, the volunteer states their availability, and an admin runs the
    matching. Returns the need's id."""
    organizer, volunteer, admin = access["organizer_token"], access["volunteer_token"], access["admin_token"]
    organization_id = access["organization_ids"][0]
    home = api.call("GET", f"/api/volunteers/{access['volunteer_id']}", volunteer)
    project = api.call("GET", f"/api/projects?organization_id={organization_id}", organizer)[0]
    place = {k: home[k] for k in ("district", "street", "community")}
    api.call("POST", "/api/places", admin, {"rows": [place]}, 201)  # the demo registers no places yet
    week = [{"weekday": day, "start": "08:00", "end": "20:00"} for day in range(7)]
    api.call("PUT", f"/api/volunteers/{access['volunteer_id']}/availability", volunteer, {"availability": week, "weekly_hours_cap": 20})
    start = (datetime.now(BEIJING) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    need = {"organization_id": organization_id, "project_id": project["id"], "title": "陪社区老人复诊", "content": "陪同老人去医院复查，帮忙挂号取药",
            "district": home["district"], "street": home["street"], "community": home["community"],
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(), "volunteers_needed": 1}
    need_id: str = api.call("POST", "/api/needs", organizer, need, 201)["id"]
    run = api.call("POST", "/api/matching/runs", admin, {"district": home["district"]}, 201)
    assert run["proposals"] >= 1, run
    return need_id


def shoot(driver: Any, name: str, tmp_path: Path) -> Path:
    folder = SCREENSHOTS if os.environ.get("TIMEBANK_UPDATE_SCREENSHOTS") == "1" else tmp_path
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot {path}"
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    return path


def click_through(driver: Any, button: Any) -> None:
    """Click a link, or a button that posts a form, and wait until the page that answers has
    replaced the old one. Reading an element while Chrome swaps the document can fail with a transient "Node with
    given id does not belong to the document" (it did in CI), so the wait first sees the old page's
    root go stale, ignoring that error, and only then do the checks read the new page."""
    old_page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(seen.staleness_of(old_page))
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def log_in(driver: Any, base: str, token: str) -> None:
    driver.get(base + "/login?lang=zh")
    form = driver.find_element(By.ID, "token-login")
    form.find_element(By.NAME, "token").send_keys(token)
    click_through(driver, form.find_element(By.TAG_NAME, "button"))
    WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.CSS_SELECTOR, "form[action='/logout']")))


def test_an_organizer_confirms_and_accepts_and_an_auditor_reads_the_charts(demo: tuple[str, dict[str, Any]], browser: Any, tmp_path: Path) -> None:
    base, access = demo
    api = Api(base)
    need_id = a_proposal_for_the_demo_volunteer(api, access)
    organization_id = access["organization_ids"][0]
    wait = WebDriverWait(browser, 15)

    # The organizer confirms a pending record from the console.
    log_in(browser, base, access["organizer_token"])
    browser.get(f"{base}/console")
    click_through(browser, browser.find_element(By.CSS_SELECTOR, f"a[href='/console/{organization_id}']"))
    assert "待对接需求" in browser.find_element(By.TAG_NAME, "main").text
    click_through(browser, browser.find_element(By.ID, "pending-link"))
    boxes = browser.find_elements(By.NAME, "record_id")
    assert boxes, "the demo leaves pending records for its organizer"
    record_id = boxes[0].get_attribute("value")
    boxes[0].click()
    click_through(browser, browser.find_element(By.ID, "confirm-selected"))
    wait.until(seen.presence_of_element_located((By.ID, "outcomes")))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "处理 1 条：1 条成功，0 条未完成。" in main and f"{record_id}\n" not in main
    shoot(browser, "console-confirmed", tmp_path)
    assert api.call("GET", f"/api/service-records/{record_id}", access["organizer_token"])["status"] == "confirmed"

    # Then accepts the matching proposal for the need, seeing the parts of its score.
    browser.get(f"{base}/console/{organization_id}/needs/{need_id}")
    table = browser.find_element(By.ID, "proposals").text
    assert "技能匹配" in table and "公平性" in table and "待处理" in table
    click_through(browser, browser.find_element(By.CSS_SELECTOR, "#proposals button.accept"))
    wait.until(seen.text_to_be_present_in_element((By.ID, "proposals"), "已接受"))
    assert "已接受匹配建议" in browser.find_element(By.TAG_NAME, "main").text
    shoot(browser, "console-proposal-accepted", tmp_path)
    proposals = api.call("GET", f"/api/needs/{need_id}/proposals", access["organizer_token"])
    assert [p["status"] for p in proposals][0] == "accepted"

    # The auditor opens the statistics: three charts drawn on the server, each with its CSV.
    click_through(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button"))
    log_in(browser, base, access["auditor_token"])
    browser.get(f"{base}/stats")
    wait.until(lambda d: d.execute_script("return [...document.images].every(i => i.complete && i.naturalWidth > 0)"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "各区每月服务时长（已确认）" in main and "星级分布" in main and main.count("下载数据（CSV）") == 3
    shoot(browser, "auditor-charts", tmp_path)
    csv = requests.get(f"{base}/stats/hours.csv", cookies={c["name"]: c["value"] for c in browser.get_cookies()}, timeout=30)
    assert csv.status_code == 200 and csv.text.startswith("\ufeffmonth,district,minutes")
