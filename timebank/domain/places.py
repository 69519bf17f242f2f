"""Beijing's district-level units (新时代文明实践中心): 16 districts and the Economic-Technological Development Area."""

BEIJING_DISTRICTS = (
    "东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区", "通州区",
    "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区", "北京经济技术开发区",
)
