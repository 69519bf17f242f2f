"""What people write in the demo: reasons for rejections, corrections and revocations, and the
content of self-declared service, by category."""

from __future__ import annotations

REJECTION_REASONS = (  # of a self-declaration without a shift
    "经核实，当日该项目未安排此项服务内容，不予记录。",
    "所申报内容属于社区工作者日常工作，不计入志愿服务时长。",
    "未能提供活动负责人确认，暂不予记录，请联系负责人后重新申报。",
)
SHIFT_REJECTION = "申报时长与现场签到表不符，请按实际服务时长重新申报。"
CHECK_OUT_REJECTION = "签到后未在岗，经活动负责人核实不予记录。"
CORRECTION_REQUESTS = (
    "当天活动延长，我一直服务到活动结束，签退时漏记了后半段时间。",
    "负责人登记时少算了半小时，麻烦核对签到表。",
)
UPWARD_CORRECTION = "经核对签到表，该志愿者服务至活动结束，补记漏记时长。"
DOWNWARD_CORRECTION = "录入有误：该志愿者当天中途离场，按实际服务时长更正。"
PENDING_CORRECTION = "申报时长包含往返路程时间，按实际服务时长更正。"
REVOCATION_REASONS = (
    "经核查该志愿者当日未到岗，系误录，撤销该记录。",
    "同一次服务被重复录入，撤销重复的记录。",
)
SELF_DECLARED_CONTENT = {
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
