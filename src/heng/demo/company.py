"""The demo company as data: the five cases of requirements.md in one org tree.

1. Chain retailer: three market regions (seed 000 §3.1) with 12 branches, 1–2 Douyin
   operators and a flagship store each.
2. HQ operations department with strategy → OKR → KPI (seed 001).
3. Central kitchen whose chefs are dispatched to partner stores (seed 002).
4. E-commerce subsidiary with the eight departments of seed 003 §2.2.
5. Every department above runs monthly salons (seed 004), so each is a real unit.
"""

from __future__ import annotations

# (code, name, name_en, duties)
POSITIONS = [
    (
        "douyin_ops",
        "抖音运营",
        "Douyin operator",
        "负责本地市场抖音账号内容策划、拍摄、发布与互动回复。",
    ),
    ("branch_head", "分公司负责人", "Branch head", "负责分公司经营目标与团队管理。"),
    ("store_manager", "门店经理", "Store manager", "负责门店运营、排班、员工考核与客户服务。"),
    ("store_sales", "门店销售代表", "Store sales rep", "负责门店商品销售与客户接待。"),
    ("dept_head", "部门负责人", "Department head", "负责部门目标分解、绩效管理与团队发展。"),
    ("user_ops", "用户运营", "User operations", "负责用户增长、复购与忠诚度运营。"),
    ("event_ops", "活动运营", "Campaign operations", "负责营销活动策划与执行。"),
    ("cs_agent", "客服专员", "Customer service agent", "负责用户咨询与投诉处理。"),
    ("chef", "厨师", "Chef", "负责菜品出品质量与新品研发。"),
    ("courier", "配送员", "Courier", "负责商品安全、准时送达。"),
    ("sales_rep", "销售代表", "Sales representative", "负责客户开发、成交与回款。"),
    ("accountant", "会计", "Accountant", "负责账务处理与财务报表。"),
    ("hr_specialist", "人事专员", "HR specialist", "负责招聘、培训与员工关系。"),
    ("designer", "设计师", "Designer", "负责页面与品牌视觉设计。"),
    ("new_media", "新媒体运营", "New-media operator", "负责新媒体平台内容与互动。"),
    ("ops_specialist", "运营专员", "Operations specialist", "负责站内运营与转化优化。"),
]

# Market profiles as data (seed 000 §3.1).
MARKETS = {
    "south": {
        "label": "南方",
        "audience": "18-28岁女性占65%",
        "interests": ["时尚", "美妆", "打卡"],
        "typical_plays": 100000,
    },
    "north": {
        "label": "北方",
        "audience": "30-45岁男性占50%",
        "interests": ["实用", "性价比", "工具"],
        "typical_plays": 25000,
    },
    "west": {
        "label": "西部",
        "audience": "25-35岁家庭主妇占40%",
        "interests": ["家居", "育儿", "折扣"],
        "typical_plays": 50000,
    },
}

# region code, name, name_en, market, [(branch code, city, city_en, operators)]
REGIONS = [
    (
        "R-S",
        "华南大区",
        "South China",
        "south",
        [
            ("GZ", "广州", "Guangzhou", 2),
            ("SZ", "深圳", "Shenzhen", 2),
            ("XM", "厦门", "Xiamen", 1),
            ("NN", "南宁", "Nanning", 1),
        ],
    ),
    (
        "R-N",
        "华北大区",
        "North China",
        "north",
        [
            ("BJ", "北京", "Beijing", 2),
            ("TJ", "天津", "Tianjin", 1),
            ("JN", "济南", "Jinan", 1),
            ("SJZ", "石家庄", "Shijiazhuang", 1),
        ],
    ),
    (
        "R-W",
        "西部大区",
        "West China",
        "west",
        [
            ("CD", "成都", "Chengdu", 2),
            ("CQ", "重庆", "Chongqing", 2),
            ("XA", "西安", "Xi'an", 1),
            ("KM", "昆明", "Kunming", 1),
        ],
    ),
]

# Eight e-commerce departments of seed 003 §2.2: (code, name, name_en, main position, weight)
# The weight spreads the remaining head count like a real 500M-CNY e-commerce company.
ECOMMERCE_DEPARTMENTS = [
    ("EC-LOG", "物流发展部", "Logistics Development", "courier", 30),
    ("EC-BD", "业务发展部", "Business Development", "sales_rep", 18),
    ("EC-FIN", "财务部", "Finance", "accountant", 6),
    ("EC-HR", "人力资源部", "Human Resources", "hr_specialist", 5),
    ("EC-OPS", "运营部", "Operations", "ops_specialist", 12),
    ("EC-CS", "客服部", "Customer Service", "cs_agent", 18),
    ("EC-DES", "设计部", "Design", "designer", 6),
    ("EC-NM", "新媒体发展部", "New Media Development", "new_media", 5),
]

PARTNER_STORES = [
    ("PS-YL", "悦来餐厅·天河店", "Yuelai Restaurant Tianhe", "悦来餐饮管理有限公司"),
    ("PS-XW", "小湾餐厅·南山店", "Xiaowan Restaurant Nanshan", "小湾餐饮有限公司"),
    ("PS-JY", "锦园酒楼·锦江店", "Jinyuan Restaurant Jinjiang", "锦园餐饮集团"),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文婷宇浩凯晨欣怡梓"
    "涵子轩雨彤嘉琪思远佳慧俊博晓峰雪梅志宏海燕春"
)

DEMO_PASSWORD = "heng-demo-2026"
