"""How the same person ends up written differently in two systems, or twice in one.

Each function takes a clean value and returns the way a counter clerk might have typed it. Every
variant stays recognisably the same value, because that is what the matcher has to recognise.
"""
from __future__ import annotations

import random

# Characters a clerk confuses by sound (or by the first candidate of a pinyin input method).
# Each character belongs to exactly one group.
SIMILAR_GROUPS = (
    "明铭鸣名", "伟玮炜威", "丽莉俐", "立力利", "华桦骅", "军君钧均", "静婧靖", "芳方芬",
    "强蔷墙", "敏闵珉", "杰洁婕捷", "涛韬滔", "磊蕾垒雷", "洋阳扬杨", "艳燕彦雁", "娜纳",
    "勇永涌", "超潮朝", "平萍苹", "刚钢纲", "霞夏侠", "秀琇绣", "英瑛", "莹颖影",
    "兰岚澜蓝", "梅玫媚", "玉钰毓", "珍真桢", "红虹宏鸿", "凤峰锋枫丰", "桂贵", "建健剑",
    "国帼", "文雯闻", "云芸耘", "春纯淳", "斌彬滨", "鹏朋", "宇雨羽禹", "浩皓昊",
    "辉晖徽", "慧惠蕙", "波博柏", "林琳霖", "婷亭庭", "欣新馨鑫", "晨辰臣", "佳嘉家",
    "倩茜", "雪薛", "坤昆", "飞菲霏", "亮谅", "宁凝", "玲铃龄", "俊骏峻", "荣蓉容",
    "志智治", "东冬栋", "丹单", "淑舒书", "晶菁精", "娟鹃涓", "瑞睿锐", "帆凡", "琴勤芹",
    "璐露", "畅昌", "兵冰", "成诚程", "庆青清", "富福", "晓小筱", "想祥翔", "岩炎",
    "楠南", "凯恺铠", "龙隆", "欢环", "旭煦", "帅率",
    "张章", "王汪", "李黎", "刘柳", "陈沉", "周舟", "吴武伍", "徐许", "朱祝",
    "何贺", "唐汤", "于余俞", "萧肖", "傅付", "蒋江", "严颜阎", "黄皇",
)
SIMILAR: dict[str, str] = {ch: group.replace(ch, "") for group in SIMILAR_GROUPS for ch in group}

FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def similar_name(name: str, rng: random.Random) -> str | None:
    """The name with exactly one character replaced by a similar-sounding one, preferring the given
    name over the surname; None when no character has a known look-alike."""
    given = [i for i in range(1, len(name)) if SIMILAR.get(name[i])]
    positions = given or [i for i in range(len(name)) if SIMILAR.get(name[i])]
    if not positions:
        return None
    i = rng.choice(positions)
    return name[:i] + rng.choice(SIMILAR[name[i]]) + name[i + 1:]


def omit_prefix(address: str, province: str, city: str, keep_city: bool) -> str:
    """'浙江省杭州市西湖区…' as '杭州市西湖区…' or '西湖区…': clerks left out what everyone knew."""
    if address.startswith(province):
        address = address[len(province):]
        if not keep_city and address.startswith(city):
            address = address[len(city):]
    return address


def fullwidth_digits(address: str) -> str:
    return address.translate(FULLWIDTH_DIGITS)


def traditional_hao(address: str) -> str:
    return address.replace("号", "號")


def zhuang_shi(address: str) -> str:
    """'3栋2单元501' as '3幢2单元501室'."""
    address = address.replace("栋", "幢")
    return address + "室" if address[-1:].isdigit() else address


def dashed_unit(address: str) -> str:
    """'3栋2单元501' as '3-2-501'."""
    return address.replace("栋", "-").replace("单元", "-")


def extra_spaces(address: str, rng: random.Random) -> str:
    """A space (half- or full-width) after one or two of the address's part markers."""
    marks = [i + 1 for i, ch in enumerate(address) if ch in "省市区县镇路街号村" and i + 1 < len(address)]
    for i in sorted(rng.sample(marks, min(len(marks), rng.randint(1, 2))), reverse=True):
        address = address[:i] + rng.choice((" ", "  ", "\u3000")) + address[i:]
    return address


def lowercase_x(id_no: str) -> str:
    return id_no[:-1] + "x" if id_no.endswith("X") else id_no


def spaced_mobile(mobile: str) -> str:
    """'13812345678' as '138 1234 5678'."""
    return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
