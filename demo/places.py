"""Beijing's district-level units for demo and generated data: administrative codes, residents and streets.

The names come from `timebank.domain.places.BEIJING_DISTRICTS`; the rows below follow its order
(a test checks each code against python-stdnum's register of administrative divisions).
"""

from __future__ import annotations

from timebank.domain.places import BEIJING_DISTRICTS

# The Economic-Technological Development Area (亦庄) has no administrative code of its own: its
# residents' numbers carry Daxing's (or another's), and the census counts them in Daxing.
(DEVELOPMENT_AREA,) = (name for name in BEIJING_DISTRICTS if name.endswith("开发区"))
DISTRICTS = tuple(name for name in BEIJING_DISTRICTS if name != DEVELOPMENT_AREA)

# Per district, in the order of DISTRICTS: administrative division code (GB/T 2260) and resident
# population in 10,000s (2020 census).
_CODES_AND_RESIDENTS = (
    ("110101", 70.9), ("110102", 110.6), ("110105", 345.2), ("110106", 201.9), ("110107", 56.8), ("110108", 313.3),
    ("110109", 39.3), ("110111", 131.3), ("110112", 184.0), ("110113", 132.4), ("110114", 226.9), ("110115", 199.4),
    ("110116", 44.1), ("110117", 45.7), ("110118", 52.8), ("110119", 34.6),
)
DISTRICT_CODES: dict[str, str] = {name: code for name, (code, _) in zip(DISTRICTS, _CODES_AND_RESIDENTS, strict=True)}
DEVELOPMENT_AREA_CODE = "110115"  # Daxing's
RESIDENTS_2020: dict[str, float] = {name: residents for name, (_, residents) in zip(DISTRICTS, _CODES_AND_RESIDENTS, strict=True)}

# Streets (街道/镇/地区) per district-level unit, in the order of BEIJING_DISTRICTS: where people live.
STREETS: dict[str, tuple[str, ...]] = dict(zip(BEIJING_DISTRICTS, (
    ("朝阳门街道", "东华门街道", "景山街道", "交道口街道", "安定门街道", "东四街道", "建国门街道", "和平里街道", "前门街道", "天坛街道"),
    ("什刹海街道", "新街口街道", "月坛街道", "展览路街道", "德胜街道", "金融街街道", "大栅栏街道", "广安门内街道", "牛街街道", "陶然亭街道",
     "西长安街街道"),
    ("望京街道", "建外街道", "朝外街道", "呼家楼街道", "三里屯街道", "安贞街道", "亚运村街道", "酒仙桥街道", "双井街道", "劲松街道", "潘家园街道"),
    ("方庄街道", "右安门街道", "太平桥街道", "西罗园街道", "大红门街道", "卢沟桥街道", "丰台街道", "新村街道", "长辛店街道", "宛平街道"),
    ("八角街道", "八宝山街道", "老山街道", "古城街道", "苹果园街道", "金顶街街道", "鲁谷街道"),
    ("学院路街道", "中关村街道", "万寿路街道", "羊坊店街道", "甘家口街道", "紫竹院街道", "北太平庄街道", "海淀街道", "清河街道", "上地街道", "西三旗街道"),
    ("大峪街道", "城子街道", "东辛房街道", "永定镇", "龙泉镇"),
    ("城关街道", "拱辰街道", "西潞街道", "长阳镇", "良乡镇"),
    ("北苑街道", "中仓街道", "新华街道", "玉桥街道", "潞源街道", "永顺镇", "梨园镇", "潞城镇"),
    ("胜利街道", "光明街道", "石园街道", "旺泉街道", "仁和镇", "后沙峪镇"),
    ("回龙观街道", "天通苑北街道", "天通苑南街道", "霍营街道", "城北街道", "城南街道", "东小口镇"),
    ("清源街道", "兴丰街道", "林校路街道", "观音寺街道", "天宫院街道", "高米店街道", "旧宫镇", "西红门镇"),
    ("泉河街道", "龙山街道", "怀柔镇", "雁栖镇"),
    ("滨河街道", "兴谷街道", "平谷镇"),
    ("鼓楼街道", "果园街道", "密云镇"),
    ("儒林街道", "百泉街道", "香水园街道", "延庆镇"),
    ("荣华街道", "博兴街道", "亦庄镇"),
), strict=True))
