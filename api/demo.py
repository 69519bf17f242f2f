"""Demo data: a believable Beijing volunteer time bank, built only through TimeBank's commands.

`seed_demo(app)` registers a few hundred volunteers, a dozen organizations across Beijing's
district-level units (one left unverified), their projects and shifts (past, running and future),
and service records in every state a user should see: confirmed (from check-in/check-out and from
bulk entry), pending (check-outs and self-declarations awaiting an organizer), rejected (with a
reason), corrected (a volunteer's request then an organizer's correction) and revoked.

Everything goes through the public command methods of `TimeBank`, so every rule of the domain
(recording deadline, check-in window, capacity, skills, no double booking, 谁组织谁记录) holds for
the demo data too. Times are taken from `app.clock()`: past attendance uses shifts that are still
running (sign-up is open until a shift ends) with check-in/check-out times in the past; bulk
entries and self-declarations use service dates 1-7 days ago, always inside the recording deadline.

The plan is drawn from `random.Random` streams derived from the seed and a seeded `Faker("zh_CN")`,
so the same seed gives the same people, organizations and the same number of records in each state,
whatever the time of day (the ids the application allocates are random and never drive a decision).
Seed an empty store only (`is_seeded`): on a store seeded with the same seed and identity secret,
the first registration is refused as a duplicate identity document before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any
from uuid import UUID

from faker import Faker
from stdnum.cn import ric

from timebank.application import BatchEntry, TimeBank, TransferRequest
from timebank.clock import BEIJING, local_date
from timebank.domain.actors import Actor, Role
from timebank.domain.ids import REDEMPTION_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount, pool_account_id

__all__ = [
    "DemoAccess",
    "seed_demo",
    "is_seeded",
    "resident_id_number",
    "birth_region_code",
    "DISTRICT_CODES",
    "SKILLS",
    "MIN_VOLUNTEERS",
]

MIN_VOLUNTEERS = 50

SKILLS = (
    "first_aid",
    "elderly_care",
    "tutoring",
    "sign_language",
    "driving",
    "photography",
    "translation",
    "psychological_support",
)

# Administrative division codes (GB/T 2260) of Beijing's 16 districts. The Economic-Technological
# Development Area has no code of its own: its residents' numbers carry Daxing's (or another's).
DISTRICT_CODES: dict[str, str] = {
    "东城区": "110101",
    "西城区": "110102",
    "朝阳区": "110105",
    "丰台区": "110106",
    "石景山区": "110107",
    "海淀区": "110108",
    "门头沟区": "110109",
    "房山区": "110111",
    "通州区": "110112",
    "顺义区": "110113",
    "昌平区": "110114",
    "大兴区": "110115",
    "怀柔区": "110116",
    "平谷区": "110117",
    "密云区": "110118",
    "延庆区": "110119",
}
DEVELOPMENT_AREA = "北京经济技术开发区"
# Codes in use since before any demo volunteer was born (the others date from 1986-2015).
_OLD_CODES = ("110101", "110102", "110105", "110106", "110107", "110108", "110109")

# Streets (街道/镇/地区) per district-level unit: where volunteers live.
STREETS: dict[str, tuple[str, ...]] = {
    "东城区": ("朝阳门街道", "东华门街道", "景山街道", "交道口街道", "安定门街道", "东四街道", "建国门街道", "和平里街道", "前门街道", "天坛街道"),
    "西城区": ("什刹海街道", "新街口街道", "月坛街道", "展览路街道", "德胜街道", "金融街街道", "大栅栏街道", "广安门内街道", "牛街街道", "陶然亭街道"),
    "朝阳区": ("望京街道", "建外街道", "朝外街道", "呼家楼街道", "三里屯街道", "安贞街道", "亚运村街道", "酒仙桥街道", "双井街道", "劲松街道", "潘家园街道"),
    "丰台区": ("方庄街道", "右安门街道", "太平桥街道", "西罗园街道", "大红门街道", "卢沟桥街道", "丰台街道", "新村街道", "长辛店街道", "宛平街道"),
    "石景山区": ("八角街道", "八宝山街道", "老山街道", "古城街道", "苹果园街道", "金顶街街道", "鲁谷街道"),
    "海淀区": ("学院路街道", "中关村街道", "万寿路街道", "羊坊店街道", "甘家口街道", "紫竹院街道", "北太平庄街道", "海淀街道", "清河街道", "上地街道", "西三旗街道"),
    "门头沟区": ("大峪街道", "城子街道", "东辛房街道", "永定镇", "龙泉镇"),
    "房山区": ("城关街道", "拱辰街道", "西潞街道", "长阳镇", "良乡镇"),
    "通州区": ("北苑街道", "中仓街道", "新华街道", "玉桥街道", "潞源街道", "永顺镇", "梨园镇"),
    "顺义区": ("胜利街道", "光明街道", "石园街道", "旺泉街道", "仁和镇", "后沙峪镇"),
    "昌平区": ("回龙观街道", "天通苑北街道", "天通苑南街道", "霍营街道", "城北街道", "城南街道", "东小口镇"),
    "大兴区": ("清源街道", "兴丰街道", "林校路街道", "观音寺街道", "天宫院街道", "高米店街道", "旧宫镇", "西红门镇"),
    "怀柔区": ("泉河街道", "龙山街道", "怀柔镇", "雁栖镇"),
    "平谷区": ("滨河街道", "兴谷街道", "平谷镇"),
    "密云区": ("鼓楼街道", "果园街道", "密云镇"),
    "延庆区": ("儒林街道", "百泉街道", "香水园街道", "延庆镇"),
    DEVELOPMENT_AREA: ("荣华街道", "博兴街道", "亦庄镇"),
}
# Where volunteers live, roughly by population (the central and inner suburban districts dominate).
_HOME_WEIGHTS: dict[str, int] = {
    "东城区": 6, "西城区": 7, "朝阳区": 14, "丰台区": 9, "石景山区": 4, "海淀区": 13, "门头沟区": 2,
    "房山区": 4, "通州区": 7, "顺义区": 5, "昌平区": 9, "大兴区": 7, "怀柔区": 2, "平谷区": 2,
    "密云区": 2, "延庆区": 2, DEVELOPMENT_AREA: 5,
}
_COMMUNITY_SUFFIXES = ("东里", "西里", "南里", "北里", "一区", "二区", "三区", "东区", "西区", "新村", "家园", "花园")

_PHONE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
)

# Skills by stage of life, and the service categories each skill suggests.
_SKILLS_BY_STAGE = {
    "student": ("tutoring", "translation", "photography", "first_aid", "sign_language", "tutoring"),
    "working": ("first_aid", "driving", "photography", "translation", "psychological_support", "tutoring", "elderly_care", "driving"),
    "retired": ("elderly_care", "elderly_care", "first_aid", "tutoring", "sign_language", "psychological_support"),
    "minor": ("photography", "translation", "tutoring"),
}
_CATEGORIES_BY_SKILL = {
    "first_aid": ("health", "emergency"),
    "elderly_care": ("elderly_care",),
    "tutoring": ("education", "child_care"),
    "sign_language": ("disability_support",),
    "driving": ("disability_support", "emergency"),
    "photography": ("culture", "large_event"),
    "translation": ("large_event", "culture"),
    "psychological_support": ("health", "elderly_care"),
}
_GENERAL_CATEGORIES = ("community_service", "environment", "civilization_practice", "culture", "elderly_care")


@dataclass(frozen=True)
class _ShiftTemplate:
    title: str
    place: str
    start: str  # "HH:MM", Beijing time
    minutes: int
    skills: tuple[str, ...] = ()
    capacity: tuple[int, int] = (6, 15)


@dataclass(frozen=True)
class _ProjectTemplate:
    name: str
    category: str
    description: str
    shifts: tuple[_ShiftTemplate, ...]
    street: str | None = None
    community: str | None = None
    # A duty that plausibly runs at night: used for the shift in progress when seeding at night.
    night: _ShiftTemplate | None = None


@dataclass(frozen=True)
class _OrgTemplate:
    name: str
    district: str
    street: str
    description: str
    projects: tuple[_ProjectTemplate, ...]


S, P = _ShiftTemplate, _ProjectTemplate
ORGANIZATIONS: tuple[_OrgTemplate, ...] = (
    _OrgTemplate(
        "东城区朝阳门街道志愿服务队", "东城区", "朝阳门街道",
        "扎根朝阳门地区胡同社区，开展助老探访、胡同文化讲解和背街小巷环境整治。",
        (
            P("独居老人周末探访", "elderly_care", "为辖区独居、空巢老人上门探访，陪伴聊天、检查用电用气安全。",
              (S("入户探访", "朝阳门街道养老照料中心", "09:00", 150, ("elderly_care",), (4, 10)),
               S("助老陪伴", "史家胡同社区党群服务中心", "14:00", 120, (), (4, 8))),
              "朝阳门街道", "史家胡同社区"),
            P("胡同文化讲解", "culture", "在史家胡同博物馆为游客讲解胡同历史与四合院文化。",
              (S("史家胡同博物馆讲解", "史家胡同博物馆", "09:30", 180, (), (4, 8)),),
              "朝阳门街道", "史家胡同社区"),
            P("背街小巷环境整治", "environment", "清理楼门院杂物，开展垃圾分类桶前值守。",
              (S("垃圾分类桶前值守", "南竹竿胡同垃圾分类驿站", "07:00", 120, (), (6, 12)),),
              "朝阳门街道", None, S("背街小巷夜间安全巡查", "朝阳门街道综治中心", "22:00", 180)),
        ),
    ),
    _OrgTemplate(
        "西城区什刹海街道文明引导志愿服务队", "西城区", "什刹海街道",
        "在什刹海景区开展游客引导、文明劝导和水域安全巡护。",
        (
            P("什刹海景区文明引导", "civilization_practice", "节假日及周末在景区重点点位开展游客疏导和文明劝导。",
              (S("银锭桥游客引导", "什刹海银锭桥", "10:00", 180, (), (8, 20)),
               S("烟袋斜街文明劝导", "烟袋斜街东口", "14:00", 150, (), (6, 12))),
              "什刹海街道", None),
            P("前海湖畔安全巡护", "emergency", "沿前海、后海湖畔巡查，劝阻野泳，协助处置突发情况。",
              (S("湖畔安全巡护", "什刹海前海北沿", "16:00", 150, ("first_aid",), (4, 8)),),
              "什刹海街道", None),
        ),
    ),
    _OrgTemplate(
        "朝阳区望京街道新时代文明实践所志愿服务队", "朝阳区", "望京街道",
        "依托望京街道新时代文明实践所，服务国际化社区居民和辖区青少年。",
        (
            P("国际社区咨询服务", "community_service", "为外籍居民提供政策咨询、办事引导和双语翻译。",
              (S("双语咨询台值守", "望京街道新时代文明实践所", "09:30", 180, ("translation",), (3, 6)),),
              "望京街道", "望京西园三区社区"),
            P("四点半课堂", "child_care", "放学后为双职工家庭的孩子提供作业辅导和看护。",
              (S("课后作业辅导", "望京西园三区社区活动室", "16:30", 120, ("tutoring",), (4, 8)),),
              "望京街道", "望京西园三区社区"),
            P("老年人智能手机课堂", "education", "手把手教老年人使用健康码、网约车、手机支付等常用功能。",
              (S("智能手机使用辅导", "望京街道社区服务中心", "14:00", 120, (), (6, 12)),),
              "望京街道", None),
        ),
    ),
    _OrgTemplate(
        "海淀区学院路社区助老志愿团", "海淀区", "学院路街道",
        "联合辖区高校学生和退休教师，为学院路地区老年人提供助餐、关怀和学习陪伴。",
        (
            P("助老送餐", "elderly_care", "为行动不便的高龄老人配送午餐，顺带了解老人近况。",
              (S("午间助餐送餐", "学院路街道养老服务驿站", "10:30", 150, (), (6, 12)),),
              "学院路街道", "石油大院社区"),
            P("老年心理关怀热线", "health", "接听老年人倾诉电话，提供情绪疏导，必要时转介专业机构。",
              (S("关怀热线值守", "学院路街道社区卫生服务中心", "19:00", 120, ("psychological_support",), (2, 4)),),
              "学院路街道", None, S("夜间关怀热线值守", "学院路街道社区卫生服务中心", "22:00", 180)),
            P("高校志愿者课业辅导", "education", "高校学生志愿者为社区中小学生提供周末课业辅导。",
              (S("周末课业辅导", "学院路街道图书馆", "09:00", 150, ("tutoring",), (4, 10)),),
              "学院路街道", None),
        ),
    ),
    _OrgTemplate(
        "丰台区方庄街道邻里守望志愿服务队", "丰台区", "方庄街道",
        "组织楼门长和热心居民开展便民服务、邻里互助和汛期巡查。",
        (
            P("社区便民服务日", "community_service", "每月固定日子提供义务理发、小家电维修、磨刀等便民服务。",
              (S("便民维修与理发", "芳城园社区广场", "09:00", 180, (), (6, 15)),),
              "方庄街道", "芳城园社区"),
            P("凉水河防汛巡查", "emergency", "汛期沿凉水河巡查，排查隐患，协助转移群众。",
              (S("汛期巡查值守", "凉水河方庄段", "18:00", 180, (), (4, 10)),
               S("应急物资清点", "方庄街道应急物资储备库", "14:00", 120, ("driving",), (2, 4))),
              "方庄街道", None),
        ),
    ),
    _OrgTemplate(
        "石景山区八角街道巾帼志愿服务队", "石景山区", "八角街道",
        "以辖区妇女为骨干，关爱残疾人、困难家庭和留守儿童。",
        (
            P("助残陪伴出行", "disability_support", "驾车陪同行动不便的残疾人就医、办事。",
              (S("陪同就医出行", "八角街道温馨家园", "08:30", 180, ("driving",), (2, 5)),),
              "八角街道", None),
            P("手语服务站", "disability_support", "在区残疾人服务中心为听障人士提供手语翻译。",
              (S("手语翻译服务", "石景山区残疾人服务中心", "09:30", 150, ("sign_language",), (2, 4)),),
              None, None),
            P("困境儿童陪伴", "child_care", "周末陪伴困境儿童读书、做手工。",
              (S("周末陪伴读书", "八角街道新时代文明实践站", "14:00", 120, (), (4, 8)),),
              "八角街道", None),
        ),
    ),
    _OrgTemplate(
        "通州区北苑街道生态环保志愿服务队", "通州区", "北苑街道",
        "守护大运河，推动垃圾分类，建设城市副中心美丽家园。",
        (
            P("大运河岸线巡护", "environment", "沿大运河岸线捡拾垃圾、劝阻乱扔乱钓行为。",
              (S("运河岸线清洁巡护", "大运河森林公园北门", "08:30", 180, (), (10, 25)),),
              "北苑街道", None, S("运河岸线夜间安全巡护", "大运河森林公园北门", "22:00", 180)),
            P("垃圾分类指导", "environment", "在社区投放点指导居民正确分类投放。",
              (S("桶前值守与分类指导", "新华联家园社区垃圾分类驿站", "18:30", 120, (), (6, 12)),),
              "北苑街道", "新华联家园社区"),
        ),
    ),
    _OrgTemplate(
        "北京经济技术开发区荣华街道青年志愿者协会", "北京经济技术开发区", "荣华街道",
        "联合区内企业青年职工，服务大型赛事和新时代文明实践活动。",
        (
            P("亦庄半程马拉松赛事服务", "large_event", "在赛道补给站、医疗点和检录区为选手服务。",
              (S("补给站服务", "博大公园补给站", "07:00", 240, (), (10, 30)),
               S("医疗点协助", "博大公园医疗点", "07:00", 240, ("first_aid",), (3, 6))),
              "荣华街道", None),
            P("企业职工文明实践日", "civilization_practice", "组织企业职工走进社区开展文明实践宣讲。",
              (S("文明实践宣讲", "荣华街道新时代文明实践所", "14:00", 120, (), (5, 12)),),
              "荣华街道", None),
        ),
    ),
    _OrgTemplate(
        "昌平区回龙观街道社区应急志愿服务队", "昌平区", "回龙观街道",
        "在回天地区普及应急救护知识，开展文明交通劝导。",
        (
            P("社区应急救护培训", "health", "协助红十字会讲师开展心肺复苏和AED使用培训。",
              (S("急救技能培训助教", "回龙观街道社区服务中心", "09:30", 180, ("first_aid",), (3, 6)),),
              "回龙观街道", None, S("夜间应急救护值守", "回龙观街道社区服务中心", "22:00", 180)),
            P("回天地区文明交通劝导", "civilization_practice", "早晚高峰在地铁站口和路口开展文明交通劝导。",
              (S("早高峰路口文明劝导", "回龙观地铁站东口", "07:00", 120, (), (6, 12)),
               S("晚高峰路口文明劝导", "龙泽地铁站南口", "17:30", 120, (), (6, 12))),
              "回龙观街道", None),
        ),
    ),
    _OrgTemplate(
        "大兴区清源街道助残志愿服务队", "大兴区", "清源街道",
        "为残疾人提供康复陪伴，协助社区卫生服务中心开展义诊。",
        (
            P("温馨家园康复陪伴", "disability_support", "陪伴残疾人做康复训练、手工和文体活动。",
              (S("康复训练陪伴", "清源街道温馨家园", "09:00", 150, (), (4, 8)),),
              "清源街道", None),
            P("社区义诊协助", "health", "协助医生开展义诊，负责秩序引导和登记。",
              (S("义诊秩序引导", "清源街道社区卫生服务中心", "08:30", 180, (), (4, 10)),),
              "清源街道", "枣园社区"),
        ),
    ),
    _OrgTemplate(
        "顺义区胜利街道新时代文明实践志愿服务队", "顺义区", "胜利街道",
        "依托胜利街道新时代文明实践所，开展全民阅读和少儿安全教育。",
        (
            P("社区图书室管理", "culture", "整理图书，为居民办理借阅，组织亲子阅读活动。",
              (S("图书整理与借阅服务", "胜利街道新时代文明实践所图书室", "14:00", 180, (), (3, 6)),),
              "胜利街道", None),
            P("少儿安全教育课堂", "child_care", "给社区儿童讲防溺水、防诈骗、交通安全知识。",
              (S("安全知识课堂助教", "建新南区社区活动室", "09:30", 120, (), (3, 8)),),
              "胜利街道", "建新南区社区"),
        ),
    ),
    # Registered but still awaiting an admin's verification: no projects yet.
    _OrgTemplate(
        "延庆区儒林街道冰雪运动志愿服务队", "延庆区", "儒林街道",
        "传承冬奥志愿精神，计划在雪季为冰雪运动赛事和群众性冰雪活动提供服务。",
        (),
    ),
)
del S, P
_UNVERIFIED = len(ORGANIZATIONS) - 1
# The demo organizer runs the first organization and is also an organizer of this one.
_DEMO_ORGS = (0, 3)

_REJECTION_REASONS = (  # of a self-declaration without a shift
    "经核实，当日该项目未安排此项服务内容，不予记录。",
    "所申报内容属于社区工作者日常工作，不计入志愿服务时长。",
    "未能提供活动负责人确认，暂不予记录，请联系负责人后重新申报。",
)
_SHIFT_REJECTION = "申报时长与现场签到表不符，请按实际服务时长重新申报。"
_CHECK_OUT_REJECTION = "签到后未在岗，经活动负责人核实不予记录。"
_CORRECTION_REQUESTS = (
    "当天活动延长，我一直服务到活动结束，签退时漏记了后半段时间。",
    "负责人登记时少算了半小时，麻烦核对签到表。",
)
_UPWARD_CORRECTION = "经核对签到表，该志愿者服务至活动结束，补记漏记时长。"
_DOWNWARD_CORRECTION = "录入有误：该志愿者当天中途离场，按实际服务时长更正。"
_PENDING_CORRECTION = "申报时长包含往返路程时间，按实际服务时长更正。"
_REVOCATION_REASONS = (
    "经核查该志愿者当日未到岗，系误录，撤销该记录。",
    "同一次服务被重复录入，撤销重复的记录。",
)
_SELF_DECLARED_CONTENT = {
    "elderly_care": ("陪老人聊天并协助整理房间", "为老人代购生活用品并送上门", "协助老人就医挂号"),
    "child_care": ("辅导孩子完成作业", "组织孩子们做手工", "陪伴孩子阅读绘本"),
    "disability_support": ("陪同残疾人外出办事", "协助康复训练", "为听障居民翻译沟通"),
    "environment": ("清理楼道杂物", "捡拾河岸垃圾", "指导居民垃圾分类"),
    "culture": ("协助布置社区文化展览", "为游客讲解胡同历史", "整理社区图书室图书"),
    "education": ("教老年人使用智能手机", "为中学生答疑", "协助开展普法宣传"),
    "health": ("协助社区义诊登记", "协助开展健康讲座", "陪伴老人做慢病随访"),
    "emergency": ("参加社区应急演练保障", "汛期隐患巡查", "清点应急物资"),
    "large_event": ("赛事补给站服务", "检录区引导", "赛后场地清理"),
    "civilization_practice": ("路口文明交通劝导", "文明实践宣讲", "景区文明引导"),
    "community_service": ("社区便民服务日协助", "楼门院环境整治", "协助社区入户走访"),
    "other": ("其他志愿服务",),
}


@dataclass(frozen=True)
class DemoAccess:
    """How to try the demo: tokens of four roles and the objects they act on."""

    admin_token: str
    auditor_token: str
    organizer_token: str
    volunteer_token: str
    organizer_id: UUID
    volunteer_id: UUID
    # Organizations the demo organizer runs (the first one is theirs); all verified.
    organization_ids: list[UUID]
    # The organization still waiting for an admin's verification.
    unverified_organization_id: UUID | None = None


def is_seeded(app: TimeBank) -> bool:
    """Whether the event store holds anything at all (seed only an empty store)."""
    return bool(app.recorder.max_notification_id())


# Resident identity numbers ------------------------------------------------------------------------
def resident_id_number(rng: Random, district_code: str, birth_date: date, sex: str | None = None) -> str:
    """An 18-digit 居民身份证号码 (GB 11643): region, birth date, order code, check digit.

    The order code is odd for men and even for women. Raises ValueError when the region code was
    not yet assigned in the birth year (python-stdnum checks that), so callers pick a fitting one.
    """
    if len(district_code) != 6 or not district_code.isdigit():
        raise ValueError(f"not an administrative division code: {district_code!r}")
    order = rng.randint(0, 499) * 2 + (0 if sex == "female" else 1 if sex == "male" else rng.randint(0, 1))
    body = f"{district_code}{birth_date:%Y%m%d}{order:03d}"
    # calc_check_digit takes the full number and ignores its last character.
    number = body + ric.calc_check_digit(body + "0")
    if not ric.is_valid(number):
        raise ValueError(f"{district_code} was not a valid region code in {birth_date.year}")
    return number


def birth_region_code(rng: Random, home_district: str, birth_date: date) -> str:
    """The region code in a volunteer's number: usually their home district's, else an older one."""
    code = DISTRICT_CODES.get(home_district, DISTRICT_CODES["大兴区"])
    if rng.random() < 0.2:
        code = rng.choice(sorted(DISTRICT_CODES.values()))
    if _code_valid_in(code, birth_date):
        return code
    return rng.choice(_OLD_CODES)


def _code_valid_in(code: str, birth_date: date) -> bool:
    probe = f"{code}{birth_date:%Y%m%d}001"
    return ric.is_valid(probe + ric.calc_check_digit(probe + "0"))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _birth_date_for_age(rng: Random, today: date, age: int) -> date:
    """A birth date giving exactly `age` today."""
    latest = _years_before(today, age)
    earliest = _years_before(today, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


# The plan -----------------------------------------------------------------------------------------
@dataclass
class _Person:
    index: int
    name: str
    sex: str
    age: int
    stage: str
    district: str
    skills: list[str]
    id: UUID
    organizer_of: set[int] = field(default_factory=set)
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)
    day_minutes: dict[date, int] = field(default_factory=dict)

    @property
    def minor(self) -> bool:
        return self.age < 18

    @property
    def actor(self) -> Actor:
        return Actor(Role.VOLUNTEER, self.id)

    def free(self, start: datetime, end: datetime) -> bool:
        return all(not (s < end and start < e) for s, e in self.busy)

    def book(self, start: datetime, end: datetime) -> None:
        self.busy.append((start, end))

    def can_serve(self, day: date, minutes: int, limit: int = 8 * 60) -> bool:
        return self.day_minutes.get(day, 0) + minutes <= limit

    def served(self, day: date, minutes: int) -> None:
        self.day_minutes[day] = self.day_minutes.get(day, 0) + minutes


@dataclass
class _Org:
    index: int
    template: _OrgTemplate
    organizers: list[_Person]
    id: UUID
    projects: list[_Project] = field(default_factory=list)


@dataclass
class _Project:
    org: _Org
    template: _ProjectTemplate
    id: UUID
    person_in_charge: str


@dataclass
class _Shift:
    project: _Project
    template: _ShiftTemplate
    id: UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def day(self) -> date:
        return local_date(self.starts_at)


@dataclass
class _Record:
    id: UUID
    person: _Person
    org: _Org
    minutes: int
    shift: _Shift | None = None
    source: str = "bulk_entry"
    plan: str | None = None  # what the organizer will do with the demo volunteer's record


class _Seeder:
    def __init__(self, app: TimeBank, volunteers: int, seed: int, progress: Callable[[str], None] | None) -> None:
        if volunteers < MIN_VOLUNTEERS:
            raise ValueError(f"the demo needs at least {MIN_VOLUNTEERS} volunteers")
        self.app = app
        self.count = volunteers
        self.seed = seed
        self.rng = Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.say = progress or (lambda message: None)
        self.now = app.clock()
        self.today = local_date(self.now)
        self.people: list[_Person] = []
        self.orgs: list[_Org] = []
        self.admins = [Actor(Role.ADMIN, self._uuid()), Actor(Role.ADMIN, self._uuid())]
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()
        self.pending: list[_Record] = []  # awaiting an organizer's decision
        self.confirmed: list[_Record] = []

    def reseed(self, *unit: object) -> None:
        """A fresh stream for one unit of the plan (a person, a shift, a record...).

        The plan adapts to the clock (who is free when a shift runs now), so one stream for all
        would let a small difference ripple through everything after it. Per-unit streams keep the
        same seed giving the same plan, and the same counts, at any time of day.
        """
        self.rng = Random("/".join(map(str, (self.seed, *unit))))

    def _uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    # People ------------------------------------------------------------------------------------
    def _stage_and_age(self, index: int) -> tuple[str, int]:
        if index == 0:  # the demo organizer: a community worker in their forties
            return "working", self.rng.randint(38, 52)
        if index == 1:  # the demo volunteer
            return "working", self.rng.randint(26, 40)
        if index in (7, 29) or self.rng.random() < 0.015:
            return "minor", self.rng.randint(16, 17)
        roll = self.rng.random()
        if roll < 0.24:
            return "student", self.rng.randint(18, 24)
        if roll < 0.70:
            return "working", self.rng.randint(25, 59)
        if roll < 0.97:
            return "retired", self.rng.randint(60, 75)
        return "retired", self.rng.randint(76, 80)

    def _skills(self, stage: str) -> list[str]:
        count = self.rng.choices((0, 1, 2, 3), weights=(25, 40, 25, 10))[0]
        pool = _SKILLS_BY_STAGE[stage]
        return sorted({self.rng.choice(pool) for _ in range(count)})

    def _phone(self) -> str:
        while True:
            phone = self.rng.choice(_PHONE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _home(self, district: str) -> tuple[str, str]:
        street = self.rng.choice(STREETS[district])
        stem = street.removesuffix("街道").removesuffix("地区").removesuffix("镇")
        return street, f"{stem}{self.rng.choice(_COMMUNITY_SUFFIXES)}社区"

    def register_people(self) -> None:
        districts = list(_HOME_WEIGHTS)
        weights = [_HOME_WEIGHTS[d] for d in districts]
        for index in range(self.count):
            self.reseed("person", index)
            stage, age = self._stage_and_age(index)
            sex = self.rng.choice(("female", "male"))
            if stage == "retired" and self.rng.random() < 0.2:
                sex = "female"  # retired women are the backbone of community volunteering
            name = self.fake.name_female() if sex == "female" else self.fake.name_male()
            district = self.rng.choices(districts, weights=weights)[0]
            skills = self._skills(stage)
            if index == 0:
                district, skills = ORGANIZATIONS[0].district, ["elderly_care", "first_aid"]
            elif index == 1:
                skills = sorted(set(skills) | {"first_aid", "photography"})
            birth = _birth_date_for_age(self.rng, self.today, age)
            while True:
                number = resident_id_number(self.rng, birth_region_code(self.rng, district, birth), birth, sex)
                if number not in self.id_numbers:
                    self.id_numbers.add(number)
                    break
            street, community = self._home(district)
            categories = {c for s in skills for c in _CATEGORIES_BY_SKILL[s]}
            categories.add(self.rng.choice(_GENERAL_CATEGORIES))
            registration = self.app.register_volunteer(
                name=name, sex=sex, birth_date=birth, id_type="resident_id", id_number=number,
                phone=self._phone(), district=district, street=street, community=community,
                skills=skills, service_categories=sorted(categories), guardian_consent=age < 18,
            )
            self.people.append(_Person(index, name, sex, age, stage, district, skills, registration.volunteer_id))
            if (index + 1) % 50 == 0 or index + 1 == self.count:
                self.say(f"registered {index + 1}/{self.count} volunteers")

    # Organizations -----------------------------------------------------------------------------
    def register_organizations(self) -> None:
        self.reseed("organizations")
        demo_organizer = self.people[0]
        # Organizers: working-age or recently retired adults; never the demo volunteer.
        pool = [p for p in self.people[2:] if not p.minor and 25 <= p.age <= 68]
        self.rng.shuffle(pool)
        for index, template in enumerate(ORGANIZATIONS):
            local = [p for p in pool if p.district == template.district]
            others = [p for p in pool if p.district != template.district]
            wanted = self.rng.choice((1, 2, 2, 3))
            if index in _DEMO_ORGS:
                wanted = min(wanted, 2)
            # Leave at least one for every organization still to come (small demos).
            wanted = max(1, min(wanted, len(pool) - (len(ORGANIZATIONS) - 1 - index)))
            organizers = (local + others)[:wanted]
            for p in organizers:
                pool.remove(p)
            if index == _DEMO_ORGS[0]:
                organizers = [demo_organizer, *organizers[:1]]
            elif index == _DEMO_ORGS[1]:
                organizers = [*organizers, demo_organizer]
            founder = organizers[0]
            org_id = self.app.register_organization(
                founder.actor, name=template.name, district=template.district, street=template.street,
                description=template.description,
            )
            org = _Org(index, template, organizers, org_id)
            for p in organizers:
                p.organizer_of.add(index)
                if p is not founder:
                    self.app.add_organizer(founder.actor, org.id, p.id)
            self.orgs.append(org)
        for org in self.orgs:
            if org.index != _UNVERIFIED:
                admin = self.admins[1] if org.index % 5 == 4 else self.admins[0]
                self.app.verify_organization(admin, org.id)
        self.say(f"registered {len(self.orgs)} organizations, {len(self.orgs) - 1} verified")

    def organizer(self, org: _Org) -> _Person:
        return self.rng.choice(org.organizers)

    def publish_projects(self) -> None:
        self.reseed("projects")
        for org in self.orgs:
            for template in org.template.projects:
                in_charge = self.rng.choice(org.organizers).name if self.rng.random() < 0.7 else self.fake.name()
                project_id = self.app.publish_project(
                    self.organizer(org).actor, organization_id=org.id, name=template.name,
                    description=template.description, category=template.category, district=org.template.district,
                    street=template.street, community=template.community, person_in_charge=in_charge,
                )
                org.projects.append(_Project(org, template, project_id, in_charge))
        self.say(f"published {sum(len(o.projects) for o in self.orgs)} projects")

    def add_shift(self, project: _Project, template: _ShiftTemplate, starts_at: datetime, minutes: int, capacity: int | None = None) -> _Shift:
        ends_at = starts_at + timedelta(minutes=minutes)
        capacity = capacity or self.rng.randint(*template.capacity)
        shift_id = self.app.add_shift(
            self.organizer(project.org).actor, project.id, title=template.title, starts_at=starts_at, ends_at=ends_at,
            place=template.place, capacity=capacity, required_skills=template.skills,
        )
        return _Shift(project, template, shift_id, starts_at, ends_at, capacity)

    @staticmethod
    def at(day: date, hhmm: str) -> datetime:
        hour, minute = map(int, hhmm.split(":"))
        return datetime.combine(day, time(hour, minute), tzinfo=BEIJING)

    def candidates(
        self, org: _Org, skills: Sequence[str] = (), start: datetime | None = None, end: datetime | None = None,
        *, minors: bool = True,
    ) -> list[_Person]:
        """Volunteers who may serve this org: not its organizers, skilled, free then.

        The demo volunteer is left out: their records are placed on purpose, not at random.
        Minors serve only in daytime shifts.
        """
        needed = set(skills)
        demo = self.people[1]
        return [
            p for p in self.people
            if p is not demo and org.index not in p.organizer_of and needed <= set(p.skills)
            and (start is None or end is None or p.free(start, end))
            and (not p.minor or (minors and (start is None or start.astimezone(BEIJING).hour < 18)))
        ]

    # Past service: bulk entry by organizers ----------------------------------------------------
    def past_service(self) -> list[_Shift]:
        shifts: list[_Shift] = []
        recorded = 0
        for org in self.orgs:
            for number, project in enumerate(org.projects):
                self.reseed("past", org.index, number)
                days = self.rng.sample(range(1, 8), k=self.rng.choice((1, 2, 2)))
                for ago in sorted(days, reverse=True):
                    template = self.rng.choice(project.template.shifts)
                    shift = self.add_shift(project, template, self.at(self.today - timedelta(days=ago), template.start), template.minutes)
                    shifts.append(shift)
                    recorded += self.bulk_entry(shift)
        demo = self.people[1]
        self.reseed("past", "demo")
        # The demo volunteer served twice in the demo organizer's organization and once elsewhere.
        for org in (self.orgs[_DEMO_ORGS[0]], self.orgs[_DEMO_ORGS[0]], self.orgs[5]):
            options = [
                s for s in shifts
                if s.project.org is org and demo.free(s.starts_at, s.ends_at) and set(s.template.skills) <= set(demo.skills)
            ]
            if options:
                recorded += self.bulk_entry(self.rng.choice(options), only=[demo])
        # Preparation work recorded without a shift (no scheduled length to respect).
        for org in self.orgs[:6]:
            self.reseed("preparation", org.index)
            project = self.rng.choice(org.projects)
            day = self.today - timedelta(days=self.rng.randint(1, 6))
            people = [p for p in self.candidates(org) if p.can_serve(day, 120)]
            chosen = self.rng.sample(people, k=min(2, len(people)))
            entries = []
            for p in chosen:
                minutes = self.rng.choice((60, 90, 120))
                p.served(day, minutes)
                entries.append(BatchEntry(p.id, day, minutes, f"{project.template.name}筹备：物资准备与场地布置"))
            if entries:
                ids = self.app.record_service_batch(self.organizer(org).actor, project.id, entries)
                self.confirmed += [_Record(i, p, org, e.service_minutes) for i, p, e in zip(ids, chosen, entries, strict=True)]
                recorded += len(entries)
        self.say(f"recorded {recorded} confirmed service records by bulk entry on {len(shifts)} past shifts")
        return shifts

    def bulk_entry(self, shift: _Shift, only: list[_Person] | None = None) -> int:
        org = shift.project.org
        people = only if only is not None else self.candidates(org, shift.template.skills, shift.starts_at, shift.ends_at)
        if only is None:
            people = self.rng.sample(people, k=min(len(people), self.rng.randint(3, max(3, min(8, shift.capacity)))))
        entries = []
        for p in people:
            # Most served the whole shift; some arrived late or left early.
            minutes = shift.minutes if self.rng.random() < 0.7 else shift.minutes - self.rng.choice((15, 30, 45))
            if p is self.people[1] and not any(r.person is p and r.minutes < r.shift.minutes for r in self.confirmed if r.shift):
                minutes = shift.minutes - 30  # leaves room for the correction the demo volunteer asks for
            p.book(shift.starts_at, shift.ends_at)
            p.served(shift.day, minutes)
            entries.append(BatchEntry(p.id, shift.day, minutes, shift.template.title, shift.id))
        if not entries:
            return 0
        ids = self.app.record_service_batch(self.organizer(org).actor, shift.project.id, entries)
        self.confirmed += [_Record(i, p, org, e.service_minutes, shift) for i, p, e in zip(ids, people, entries, strict=True)]
        return len(entries)

    # Today: attendance on running shifts -------------------------------------------------------
    def running_shifts(self) -> None:
        local_now = self.now.astimezone(BEIJING)
        base = local_now.replace(minute=local_now.minute // 30 * 30, second=0, microsecond=0)
        night = not 10 <= local_now.hour < 22  # the shift would start before 6 or end after midnight
        demo = self.people[1]
        plan = [(self.orgs[_DEMO_ORGS[0]], True), (self.orgs[_DEMO_ORGS[1]], False), (self.orgs[6], False), (self.orgs[8], False)]
        records = 0
        for org, with_demo in plan:
            self.reseed("running", org.index)
            # Any skill may come: a shift in progress shows a full roster.
            project = self.rng.choice([p for p in org.projects if any(not t.skills for t in p.template.shifts)])
            template = next(t for t in project.template.shifts if not t.skills)
            if night:
                project = next(p for p in org.projects if p.template.night)
                template = project.template.night or template
            starts_at = base - timedelta(hours=self.rng.choice((2, 3, 4)))
            ends_at = base + timedelta(minutes=self.rng.choice((60, 90, 120)))
            minutes = int((ends_at - starts_at).total_seconds() // 60)
            shift = self.add_shift(project, template, starts_at, minutes, capacity=self.rng.randint(8, 12))
            people = self.candidates(org, template.skills, starts_at, ends_at, minors=False)
            if demo in people:
                people.remove(demo)
            people = self.rng.sample(people, k=min(len(people), shift.capacity - 2))
            if with_demo and demo.free(starts_at, ends_at):
                people.insert(0, demo)
            for p in people:
                actor = p.actor if self.rng.random() < 0.8 else self.organizer(org).actor
                self.app.sign_up(actor, shift.id, p.id)
                p.book(starts_at, ends_at)
            staff = self.organizer(org)
            no_shows = 1 if len(people) > 4 else 0
            on_site = 1 if len(people) > 3 else 0
            for n, p in enumerate(people):
                if n >= len(people) - no_shows:
                    break  # signed up, never came
                checked_in = starts_at - timedelta(minutes=self.rng.randint(0, 25))
                self.app.check_in(staff.actor, shift.id, p.id, at=checked_in)
                if n >= len(people) - no_shows - on_site:
                    continue  # still on site
                checked_out = self.now - timedelta(minutes=self.rng.randint(1, 20))
                record_id = self.app.check_out(staff.actor, shift.id, p.id, at=checked_out)
                minutes = min(int((checked_out - checked_in).total_seconds() // 60), shift.minutes)
                p.served(local_date(checked_in), minutes)
                self.pending.append(_Record(record_id, p, org, minutes, shift, source="check_out"))
                records += 1
        self.say(f"checked {records} volunteers in and out of {len(plan)} running shifts")

    # Future shifts with open places ------------------------------------------------------------
    def future_shifts(self) -> None:
        shifts = 0
        sign_ups = 0
        full_done = demo_signed_up = False
        demo = self.people[1]
        for org in self.orgs:
            for number, project in enumerate(org.projects):
                self.reseed("future", org.index, number)
                for ahead in sorted(self.rng.sample(range(1, 22), k=2)):
                    template = self.rng.choice(project.template.shifts)
                    shift = self.add_shift(project, template, self.at(self.today + timedelta(days=ahead), template.start), template.minutes)
                    shifts += 1
                    people = self.candidates(org, template.skills, shift.starts_at, shift.ends_at)
                    if not full_done and shift.capacity <= len(people) and shift.capacity <= 8:
                        take, full_done = shift.capacity, True  # one shift is already full
                    else:
                        take = min(len(people), int(shift.capacity * self.rng.uniform(0.0, 0.7)))
                    chosen = self.rng.sample(people, k=take)
                    if (
                        not demo_signed_up and org.index == _DEMO_ORGS[0] and len(chosen) < shift.capacity
                        and demo.free(shift.starts_at, shift.ends_at) and set(template.skills) <= set(demo.skills)
                    ):
                        chosen.append(demo)  # the demo volunteer has a shift coming up
                        demo_signed_up = True
                    for p in chosen:
                        self.app.sign_up(p.actor, shift.id, p.id)
                        p.book(shift.starts_at, shift.ends_at)
                    sign_ups += len(chosen)
        self.say(f"scheduled {shifts} future shifts with {sign_ups} sign-ups")

    # Self-declarations -------------------------------------------------------------------------
    def self_declarations(self, past: list[_Shift]) -> None:
        demo = self.people[1]
        declared = 0
        self.reseed("declarations")
        plan: list[tuple[_Person, _Org | None]] = [(demo, self.orgs[_DEMO_ORGS[0]]), (demo, self.orgs[2]), (demo, self.orgs[_DEMO_ORGS[0]])]
        others = [p for p in self.people[2:] if not p.minor]
        plan += [(p, None) for p in self.rng.sample(others, k=min(len(others), max(12, self.count // 8)))]
        for n, (p, org) in enumerate(plan):
            self.reseed("declaration", n)
            org = org or self.rng.choice([o for o in self.orgs if o.projects and o.index not in p.organizer_of])
            options = [
                s for s in past
                if s.project.org is org and p.free(s.starts_at, s.ends_at) and p.can_serve(s.day, s.minutes)
                and set(s.template.skills) <= set(p.skills)
            ]
            if options and p is not demo and self.rng.random() < 0.5:
                shift = self.rng.choice(options)
                minutes = shift.minutes - self.rng.choice((0, 0, 15, 30))
                p.book(shift.starts_at, shift.ends_at)
                p.served(shift.day, minutes)
                record_id = self.app.declare_service(
                    p.actor, project_id=shift.project.id, service_date=shift.day, service_minutes=minutes,
                    content=shift.template.title, shift_id=shift.id,
                )
                record = _Record(record_id, p, org, minutes, shift, source="self_declared")
            else:
                project = self.rng.choice(org.projects)
                minutes = self.rng.choice((60, 90, 120, 150, 180))
                days = [self.today - timedelta(days=ago) for ago in range(1, 8) if p.can_serve(self.today - timedelta(days=ago), minutes)]
                if not days:
                    continue
                day = self.rng.choice(days)
                p.served(day, minutes)
                record_id = self.app.declare_service(
                    p.actor, project_id=project.id, service_date=day, service_minutes=minutes,
                    content=self.rng.choice(_SELF_DECLARED_CONTENT[project.template.category]),
                    place=project.template.shifts[0].place if self.rng.random() < 0.5 else None,
                )
                record = _Record(record_id, p, org, minutes, source="self_declared")
            if p is demo:  # the declaration to another organization is rejected; the others wait
                record.plan = "reject" if n == 1 else "pending"
            self.pending.append(record)
            declared += 1
        self.say(f"{declared} self-declared service records")

    # Organizers' decisions ---------------------------------------------------------------------
    def decide(self) -> None:
        confirmed = rejected = corrected = 0
        demo = self.people[1]
        waiting: list[_Record] = []
        for n, record in enumerate(self.pending):
            self.reseed("decision", n)
            plan = record.plan
            staff = self.organizer(record.org)
            if plan == "reject":
                self.app.reject_record(staff.actor, record.id, _REJECTION_REASONS[0])
                rejected += 1
                continue
            if plan == "pending" or record.person is demo:
                waiting.append(record)
                continue
            roll = self.rng.random()
            reject_below = 0.6 + (0.05 if record.source == "check_out" else 0.2)
            if roll < 0.6:
                self.app.confirm_record(staff.actor, record.id)
                self.confirmed.append(record)
                confirmed += 1
            elif roll < reject_below:
                if record.source == "check_out":
                    reason = _CHECK_OUT_REJECTION
                elif record.shift is not None:
                    reason = _SHIFT_REJECTION
                else:
                    reason = _REJECTION_REASONS[rejected % len(_REJECTION_REASONS)]
                self.app.reject_record(staff.actor, record.id, reason)
                rejected += 1
            else:
                waiting.append(record)
        # An organizer corrects a pending self-declaration before confirming it.
        self.reseed("decisions")
        for record in waiting:
            if record.person is not demo and record.shift is None and record.minutes > 60:
                staff = self.organizer(record.org)
                self.app.correct_record(staff.actor, record.id, record.minutes - 30, _PENDING_CORRECTION)
                self.app.confirm_record(staff.actor, record.id)
                record.minutes -= 30
                self.confirmed.append(record)
                waiting.remove(record)
                corrected += 1
                confirmed += 1
                break
        self.say(f"organizers confirmed {confirmed}, rejected {rejected}; {len(waiting)} records stay pending")

    def corrections_and_revocations(self) -> None:
        demo = self.people[1]
        applied = requested = revoked = 0
        self.reseed("corrections")
        on_shifts = [(r, r.shift) for r in self.confirmed if r.shift is not None]
        # Volunteers ask for a correction of a short bulk entry; the organization checks and corrects.
        short = [(r, s) for r, s in on_shifts if r.minutes < s.minutes and r.person is not demo]
        for record, shift in self.rng.sample(short, k=min(3, len(short))):
            self.app.correct_record(record.person.actor, record.id, shift.minutes, self.rng.choice(_CORRECTION_REQUESTS))
            self.app.correct_record(self.organizer(record.org).actor, record.id, shift.minutes, _UPWARD_CORRECTION)
            record.minutes = shift.minutes
            requested += 1
            applied += 1
        # An organizer corrects a record downwards on their own initiative.
        full = [r for r, s in on_shifts if r.minutes == s.minutes and r.minutes > 60 and r.person is not demo]
        if full:
            record = self.rng.choice(full)
            record.minutes -= 60
            self.app.correct_record(self.organizer(record.org).actor, record.id, record.minutes, _DOWNWARD_CORRECTION)
            applied += 1
        # The demo volunteer's request waits for the demo organizer.
        mine = [(r, s) for r, s in on_shifts if r.person is demo and r.org.index == _DEMO_ORGS[0] and r.minutes < s.minutes]
        if mine:
            record, shift = mine[0]
            self.app.correct_record(demo.actor, record.id, shift.minutes, _CORRECTION_REQUESTS[0])
            requested += 1
        # Revocations: a record of someone who did not come, and a duplicated bulk entry.
        candidates = [(r, s) for r, s in on_shifts if r.person is not demo and r.org.index not in _DEMO_ORGS]
        if candidates:
            record, _ = pair = self.rng.choice(candidates)
            self.app.revoke_record(self.organizer(record.org).actor, record.id, _REVOCATION_REASONS[0])
            self.confirmed.remove(record)
            candidates.remove(pair)
            revoked += 1
        if candidates:
            original, shift = self.rng.choice(candidates)
            staff = self.organizer(original.org)
            [duplicate] = self.app.record_service_batch(
                staff.actor, shift.project.id,
                [BatchEntry(original.person.id, shift.day, original.minutes, shift.template.title, shift.id)],
            )
            self.app.revoke_record(staff.actor, duplicate, _REVOCATION_REASONS[1])
            revoked += 1
        self.say(f"{requested} corrections requested, {applied} applied, {revoked} records revoked")

    # The time bank ------------------------------------------------------------------------------
    def balance(self, person: _Person) -> int:
        account: object = self.app.repository.get(TimeAccount.create_id(person.id))
        assert isinstance(account, TimeAccount)
        return account.available

    def time_bank(self) -> None:
        """Credits circulate: gifts to relatives, donations to pools, a pool's grant, redemptions, exchanges."""
        demo = self.people[1]
        self.reseed("time-bank")
        earners = [p for p in self.people if not p.minor and p is not demo and self.balance(p) >= 120]
        givers = self.rng.sample(earners, k=min(len(earners), 16))
        moved = {"gift": 0, "donation": 0, "redemption": 0, "grant": 0}
        donated: dict[str, int] = {}

        def move(person: _Person, credit: UUID, minutes: int, kind: str, **kw: Any) -> None:
            account = TimeAccount.create_id(person.id)
            self.app.transfer(person.actor, TransferRequest(account, credit, minutes, kind, **kw), idempotency_key=f"demo-{kind}-{moved[kind]}")
            moved[kind] += 1

        for n, person in enumerate(givers):
            minutes = self.rng.choice((30, 60, 60, 90))
            if n % 3 == 0:
                relative = self.rng.choice([p for p in self.people if p is not person and not p.minor])
                move(person, TimeAccount.create_id(relative.id), minutes, "gift", relation=self.rng.choice(("spouse", "parent", "child")),
                     note="给家人的时间")
            else:
                move(person, pool_account_id(person.district), minutes, "donation", note="捐入社区互助池")
                donated[person.district] = donated.get(person.district, 0) + minutes
        seniors = [p for p in self.people if p.age >= 60]
        for senior in seniors[:2]:
            pool = max(sorted(donated), key=lambda d: donated[d], default=None)
            if pool is None or donated[pool] < 30:
                break
            donated[pool] -= 30
            self.app.transfer(self.admins[0], TransferRequest(pool_account_id(pool), TimeAccount.create_id(senior.id), 30, "grant",
                                                              note="社区互助池资助高龄老人"), idempotency_key=f"demo-grant-{senior.id}")
            moved["grant"] += 1
            move(senior, REDEMPTION_ACCOUNT_ID, 30, "redemption", note="兑换上门助浴服务")
        self.exchanges(demo, earners)
        self.say(", ".join(f"{count} {kind}s" for kind, count in moved.items()))

    def exchanges(self, demo: _Person, earners: list[_Person]) -> None:
        """The board: open requests (one the demo volunteer's), accepted, completed and cancelled exchanges."""
        self.reseed("exchanges")
        asks = [("帮忙取快递", 30), ("陪同去医院复诊", 120), ("辅导孩子数学作业", 60), ("教老人使用智能手机", 60),
                ("帮忙照看宠物一天", 90), ("修理自行车", 30), ("代买菜", 30), ("读报给视障老人听", 60)]
        helpers = [p for p in self.people if not p.minor and p is not demo]
        for n, (title, minutes) in enumerate(asks):
            requester = demo if n == 0 else earners[n % len(earners)] if earners else demo
            exchange = self.app.request_exchange(requester.actor, title=title, description=f"{requester.district}，时间可商量。",
                                                 minutes=minutes, district=requester.district)
            provider = self.rng.choice([h for h in helpers if h is not requester])
            if n == 1:
                self.app.offer_exchange(demo.actor, exchange)  # the demo volunteer offered help
            if n < 3 or self.balance(requester) < minutes:
                continue  # stays open on the board
            self.app.offer_exchange(provider.actor, exchange)
            self.app.accept_exchange_offer(requester.actor, exchange, provider.id)
            if n % 4 == 3:
                self.app.confirm_exchange(requester.actor, exchange)
            elif n == 6:
                self.app.cancel_exchange(requester.actor, exchange, "时间冲突，改约他人")

    # Tokens ------------------------------------------------------------------------------------
    def access(self) -> DemoAccess:
        organizer, volunteer = self.people[0], self.people[1]
        admin = self.admins[0]
        self.reseed("access")
        return DemoAccess(
            admin_token=self.app.create_token(Role.ADMIN, "演示管理员 (demo admin)", subject_id=admin.id),
            auditor_token=self.app.create_token(Role.AUDITOR, "演示审计员 (demo auditor)", subject_id=self._uuid()),
            organizer_token=self.app.create_token(Role.VOLUNTEER, "演示组织者 (demo organizer)", subject_id=organizer.id, actor=admin),
            volunteer_token=self.app.create_token(Role.VOLUNTEER, "演示志愿者 (demo volunteer)", subject_id=volunteer.id, actor=admin),
            organizer_id=organizer.id,
            volunteer_id=volunteer.id,
            organization_ids=[self.orgs[i].id for i in _DEMO_ORGS],
            unverified_organization_id=self.orgs[_UNVERIFIED].id,
        )

    def run(self) -> DemoAccess:
        self.register_people()
        self.register_organizations()
        self.publish_projects()
        past = self.past_service()
        self.running_shifts()
        self.self_declarations(past)
        self.future_shifts()
        self.decide()
        self.corrections_and_revocations()
        self.time_bank()
        access = self.access()
        self.say("demo data ready")
        return access


def seed_demo(
    app: TimeBank,
    *,
    volunteers: int = 300,
    seed: int = 20261123,
    progress: Callable[[str], None] | None = None,
) -> DemoAccess:
    """Fill an empty time bank with demo data through its commands; return the demo logins.

    Call it on an empty store (see `is_seeded`). `progress` receives short English status lines.
    Needs at least MIN_VOLUNTEERS volunteers (organizers are drawn from them).
    """
    return _Seeder(app, volunteers, seed, progress).run()
