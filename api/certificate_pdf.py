"""A service certificate as a printable A4 PDF, in Chinese, with reportlab's built-in CID font (no font file)."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
ID_TYPES = {"resident_id": "居民身份证", "passport": "护照", "hk_macau_permit": "港澳居民来往内地通行证", "taiwan_permit": "台湾居民来往大陆通行证"}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _wrapped(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def render(view: dict[str, Any]) -> bytes:
    """The certificate as the verification page shows it, with the number to verify it by."""
    font = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"志愿服务证明 {view['number']}")
    width, height = A4
    pdf.setFont(font, 22)
    pdf.drawCentredString(width / 2, height - 35 * mm, "志愿服务证明")
    pdf.setFont(font, 10)
    pdf.drawCentredString(width / 2, height - 43 * mm, "Certificate of volunteer service")
    holder = view.get("holder") or {}
    hours, minutes = divmod(int(view["total_service_minutes"]), 60)
    lines = [
        f"证明编号 Number: {view['number']}",
        f"姓名 Name: {holder.get('name', '（已删除 erased）')}",
        f"证件 ID: {ID_TYPES.get(holder.get('id_type', ''), holder.get('id_type', ''))} {holder.get('id_number_masked', '')}",
        f"志愿者编号 Volunteer number: {view['volunteer_number']}",
        f"服务时间 Period: {view['first_service_date']} — {view['last_service_date']}",
        f"累计服务时长 Total service: {hours} 小时 {minutes} 分钟 ({view['total_service_minutes']} min)",
        f"出具单位 Issued by: {view['organization_name']}",
        f"负责人 Person in charge: {view['person_in_charge']}",
        f"出具日期 Issue date: {view['issue_date']}",
    ]
    if view["status"] != "current":
        lines.append(f"已撤销 REVOKED: {view.get('revocation_reason') or ''}")
    y = height - 60 * mm
    pdf.setFont(font, 12)
    for line in lines:
        for part in _wrapped(line, 48):
            pdf.drawString(25 * mm, y, part)
            y -= 8 * mm
    y -= 4 * mm
    pdf.drawString(25 * mm, y, "服务内容 Service:")
    y -= 8 * mm
    pdf.setFont(font, 10)
    for item in view["content"]:
        for part in _wrapped(item, 56):
            if y < 40 * mm:
                pdf.showPage()
                pdf.setFont(font, 10)
                y = height - 25 * mm
            pdf.drawString(30 * mm, y, part)
            y -= 6 * mm
    pdf.setFont(font, 9)
    pdf.drawString(25 * mm, 25 * mm, f"凭证明编号可在本系统核验 Verify at GET /api/certificates/{view['number']}/verification")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
