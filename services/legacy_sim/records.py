"""People, and the rows the two legacy systems hold about them, as COPY text lines.

Everything random comes from one seeded `random.Random`, so a seed gives the same databases every
time (for a given `today`). The rates below are what the importer's tests and benchmarks rely on.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from services.customer.domain.idcard import CHECK_CHARS

from . import malformed, variants
from .idcard import weighted_sum
from .pools import AREA_CODES, Pools

NULL = "\\N"
CMS_YEARS = 20
SMS_YEARS = 12          # the digital platform is younger than the analog one
FUTURE_DAYS = 400       # prepaid entitlements end up to a year ahead

CMS_MALFORMED_RATE = 0.02
SMS_MALFORMED_RATE = 0.015
UNKNOWN_PRODUCT_RATE = 0.002
NAME_TYPO_RATE = 0.05   # of people in both systems
OLD_PHONE_RATE = 0.20   # of people in both systems

PACKS = (("HD", 0.50), ("MOVIE", 0.25), ("SPORT", 0.15), ("KIDS", 0.15))
STB_MODELS = ("Coship N8606", "Coship N9201", "Skyworth HC2600", "Skyworth HC2910", "Huawei DC750",
              "ZTE ZXV10 B700", "Changhong DMB-C", "Jiuzhou DVC-7058", "Hisense HS-3100")
REMARKS = ("老用户", "欠费停机过", "已签约银行代扣", "楼道放大器", "用户要求上午上门", "二次入网")


class Person:
    __slots__ = ("name", "id_no", "mobile", "landline", "area", "address", "rural")

    def __init__(self, name, id_no, mobile, landline, area, address, rural):
        self.name, self.id_no, self.mobile, self.landline = name, id_no, mobile, landline
        self.area, self.address, self.rural = area, address, rural


class RecordMaker:
    """Makes people and appends their rows to the per-table line buffers (`take()` empties them)."""

    def __init__(self, pools: Pools, rng: random.Random, today: date):
        self.pools = pools
        self.rng = rng
        days = [today - timedelta(days=ago) for ago in range(-FUTURE_DAYS, CMS_YEARS * 366)]
        self._ymd = [d.strftime("%Y%m%d") for d in days]
        self._iso = [d.isoformat() for d in days]
        self._times = [f"{rng.randint(8, 17):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
                       for _ in range(2000)]
        births = [date(1940, 1, 1) + timedelta(days=n) for n in range((date(2001, 1, 1) - date(1940, 1, 1)).days)]
        self._births = [d.strftime("%Y%m%d") for d in births]
        self._birth_sums = [weighted_sum(b, 6) for b in self._births]
        self._area_sums = [weighted_sum(a) for a in pools.id_areas]
        self._seqs = [f"{s:03d}" for s in range(1000)]
        self._seq_sums = [weighted_sum(s, 14) for s in self._seqs]
        self._ids_used: set[int] = set()
        self._user_serial = dict.fromkeys(AREA_CODES, 0)
        self.subscriber_id = 6_100_000_000
        self._card_seq = 0
        self._card_offset = rng.randrange(10 ** 14)
        self.cms: list[str] = []
        self.subscribers: list[str] = []
        self.cards: list[str] = []
        self.stbs: list[str] = []
        self.entitlements: list[str] = []
        self.malformed = {"cms": 0, "sms": 0}

    def take(self) -> dict[str, list[str]]:
        out = {"yhxx": self.cms, "subscriber": self.subscribers, "smartcard": self.cards,
               "stb": self.stbs, "entitlement": self.entitlements}
        self.cms, self.subscribers, self.cards, self.stbs, self.entitlements = [], [], [], [], []
        return out

    # -- people --------------------------------------------------------------------------------

    def person(self) -> Person:
        r, p = self.rng, self.pools
        area = r.choice(AREA_CODES)
        address, rural = self.address(area)
        landline = f"{p.landline_area}-{r.randint(2, 8)}{r.randrange(10 ** 7):07d}"
        return Person(r.choice(p.surnames) + r.choice(p.given_names), self._id_no(), self.mobile(),
                      landline, area, address, rural)

    def mobile(self) -> str:
        return self.rng.choice(self.pools.mobile_prefixes) + f"{self.rng.randrange(10 ** 8):08d}"

    def address(self, area: str) -> tuple[str, bool]:
        r, p = self.rng, self.pools
        head = p.province + p.city + p.districts[area]
        if r.random() < 0.2:
            return f"{head}{r.choice(p.towns)}{r.choice(p.villages)}{r.randint(1, 120)}号", True
        return (f"{head}{r.choice(p.streets)}{r.randint(1, 399)}号{r.choice(p.compounds)}"
                f"{r.randint(1, 30)}栋{r.randint(1, 6)}单元{r.randint(1, 18)}{r.randint(1, 4):02d}"), False

    def _id_no(self) -> str:
        r = self.rng
        while True:  # unique: the matcher trusts an ID number to be one person
            a, b, s = r.randrange(len(self._area_sums)), r.randrange(len(self._births)), r.randrange(1000)
            key = (a * len(self._births) + b) * 1000 + s
            if key not in self._ids_used:
                self._ids_used.add(key)
                break
        check = CHECK_CHARS[(self._area_sums[a] + self._birth_sums[b] + self._seq_sums[s]) % 11]
        return self.pools.id_areas[a] + self._births[b] + self._seqs[s] + check

    def _ts(self, ago: int) -> str:
        return self._iso[ago + FUTURE_DAYS] + " " + self.rng.choice(self._times)

    def _styled(self, address: str, omit: float, omit_city: float, zhuang: float, dashed: float,
                odd: float) -> str:
        """The address as one clerk wrote it; `odd` is the chance of full-width digits, 號 or spaces."""
        r, p = self.rng, self.pools
        x = r.random()
        if x < omit_city:
            address = variants.omit_prefix(address, p.province, p.city, keep_city=False)
        elif x < omit:
            address = variants.omit_prefix(address, p.province, p.city, keep_city=True)
        x = r.random()
        if x < zhuang:
            address = variants.zhuang_shi(address)
        elif x < zhuang + dashed:
            address = variants.dashed_unit(address)
        if r.random() < odd:
            kind = r.randrange(3)
            if kind == 0:
                address = variants.fullwidth_digits(address)
            elif kind == 1:
                address = variants.traditional_hao(address)
            else:
                address = variants.extra_spaces(address, r)
        return address

    # -- CMS -------------------------------------------------------------------------------------

    def cms_row(self, who: Person, *, name: str | None = None, mobile: str | None = None,
                address: str | None = None, area: str | None = None, status: str | None = None,
                open_ago: int | None = None, fee: str | None = None, remark: str | None = None,
                converted: bool = False) -> int:
        """One analog line; returns how many days ago it was opened."""
        r = self.rng
        area = area or who.area
        open_ago = r.randrange(1, CMS_YEARS * 365) if open_ago is None else open_ago
        self._user_serial[area] += 1
        width = 6 if open_ago > 4000 else 7 if open_ago > 2000 else 8
        user_no = f"{area}{self._user_serial[area]:0{width}d}"
        name = name or who.name
        id_no = who.id_no
        x = r.random()
        if x < 0.07:
            id_no = NULL
        elif x < 0.10:
            id_no = ""
        elif x < 0.11:
            id_no = id_no[:6] + id_no[8:17]  # the 15-digit first-generation card
        elif id_no.endswith("X") and x < 0.5:
            id_no = variants.lowercase_x(id_no)
        mobile = mobile or who.mobile
        x = r.random()
        if x < 0.50:
            phone = mobile
        elif x < 0.65:
            phone = f"{mobile} / {who.landline}"
        elif x < 0.85:
            phone = who.landline
        elif x < 0.92:
            phone = variants.spaced_mobile(mobile)
        elif x < 0.96:
            phone = f"{who.landline}，{mobile}"
        else:
            phone = ""
        styled = self._styled(address or who.address, omit=0.6, omit_city=0.25, zhuang=0.3, dashed=0.1,
                              odd=0.12)
        if status is None:
            x = r.random()
            if converted:
                status = "1" if x < 0.70 else "2" if x < 0.78 else "3"
            else:
                status = "1" if x < 0.90 else "2" if x < 0.96 else "3"
        if remark is None:
            if status == "3" and converted:
                remark = "已转数字电视"
            else:
                remark = r.choice(REMARKS) if r.random() < 0.08 else NULL
        if fee is None:
            x = r.random()
            fee = "02" if who.rural else "03" if x < 0.05 else "06" if x < 0.10 else "04" if x < 0.13 else "01"
        opened = self._ymd[open_ago + FUTURE_DAYS]
        area_col = area
        if r.random() < CMS_MALFORMED_RATE:
            self.malformed["cms"] += 1
            kind = r.randrange(7)
            if kind == 0:
                name = r.choice(("", " ", NULL))
            elif kind == 1:
                id_no = malformed.wrong_check(who.id_no, r)
            elif kind == 2:
                id_no = malformed.wrong_length(who.id_no, r)
            elif kind == 3:
                phone = malformed.garbage_phone(r)
            elif kind == 4:
                opened = malformed.bad_date(opened, r)
            elif kind == 5:
                area_col = NULL
            else:
                fee = "09"  # a fee type nobody remembers defining
        changed = self._ts(r.randint(1, max(1, open_ago)))
        self.cms.append(f"{user_no}\t{name}\t{id_no}\t{phone}\t{styled}\t{area_col}\t{status}\t{opened}\t"
                        f"{fee}\t{remark}\t{changed}\n")
        return open_ago

    # -- SMS -------------------------------------------------------------------------------------

    def sms_subscriber(self, who: Person, *, name: str | None = None, mobile: str | None = None,
                       address: str | None = None, area: str | None = None, status: str | None = None,
                       created_ago: int | None = None, closed_ago: int | None = None) -> int:
        """One subscriber with 1-3 smart cards, an STB per card and 1-4 entitlements per card;
        returns how many days ago it was created."""
        r = self.rng
        self.subscriber_id += 1
        sub_id = self.subscriber_id
        created_ago = r.randrange(2, SMS_YEARS * 365) if created_ago is None else created_ago
        name = name or who.name
        x = r.random()
        cert_type, cert_no = "01", who.id_no
        if x < 0.01:
            cert_type, cert_no = "02", f"E{r.randrange(10 ** 8):08d}"
        elif x < 0.02:
            cert_type, cert_no = "99", f"军字第{r.randrange(10 ** 7):07d}号"
        elif x < 0.05:
            cert_no = NULL
        elif cert_no.endswith("X") and x < 0.15:
            cert_no = variants.lowercase_x(cert_no)
        mobile = mobile or who.mobile
        tel = who.landline if r.random() < 0.3 else NULL
        if r.random() < 0.03:
            mobile = NULL
        styled = self._styled(address or who.address, omit=0.2, omit_city=0.05, zhuang=0.1, dashed=0.05,
                              odd=0.06)
        area = area or who.area
        if status is None:
            x = r.random()
            status = "A" if x < 0.90 else "S" if x < 0.96 else "C"
        if status == "C" and closed_ago is None:
            closed_ago = r.randint(1, max(1, created_ago - 1))
        level = "V" if r.random() < 0.03 else "N"
        if r.random() < SMS_MALFORMED_RATE:
            self.malformed["sms"] += 1
            kind = r.randrange(5)
            if kind == 0:
                name = r.choice(("", NULL))
            elif kind == 1:
                cert_type, cert_no = "01", malformed.wrong_check(who.id_no, r)
            elif kind == 2:
                cert_type, cert_no = "01", malformed.wrong_length(who.id_no, r)
            elif kind == 3:
                mobile = malformed.garbage_phone(r)
            else:
                area = NULL
        updated_ago = closed_ago if status == "C" else r.randint(1, created_ago)
        self.subscribers.append(
            f"{sub_id}\t{name}\t{cert_type}\t{cert_no}\t{mobile}\t{tel}\t{styled}\t{area}\t{level}\t{status}\t"
            f"{self._ts(created_ago)}\t{self._ts(updated_ago)}\n")
        x = r.random()
        for n in range(1 if x < 0.70 else 2 if x < 0.92 else 3):
            issued_ago = created_ago if n == 0 else r.randint(max(1, closed_ago or 1), created_ago)
            self._card(sub_id, status, issued_ago, closed_ago, broadband=n == 0 and r.random() < 0.08)
        return created_ago

    def _card(self, sub_id: int, status: str, issued_ago: int, closed_ago: int | None, broadband: bool) -> None:
        r = self.rng
        self._card_seq += 1
        card_no = f"8{(self._card_offset + self._card_seq * 7919) % 10 ** 15:015d}"
        issued = self._ts(issued_ago)
        updated = self._ts(closed_ago) if status == "C" else self._ts(r.randint(1, issued_ago))
        self.cards.append(f"{card_no}\t{sub_id}\t{status}\t{issued}\t{updated}\n")
        # Older cards came with older boxes.
        era = (SMS_YEARS * 365 - issued_ago) * len(STB_MODELS) // (SMS_YEARS * 365) + r.randint(-1, 1)
        model = STB_MODELS[max(0, min(len(STB_MODELS) - 1, era))]
        self.stbs.append(f"STB{20 + self._card_seq % 7}{self._card_seq:09d}\t{model}\t{card_no}\t{sub_id}\t"
                         f"{updated}\n")
        products = ["BASIC"] + [code for code, share in PACKS if r.random() < share]
        if broadband:
            products.append(r.choice(("BB50", "BB50", "BB100")))
        for product in products[:4]:
            if r.random() < UNKNOWN_PRODUCT_RATE:
                self.malformed["sms"] += 1
                product = "XJ01"  # a product deleted from the catalogue years ago
            basic = product == "BASIC"
            start_ago = issued_ago if basic else r.randint(max(1, closed_ago or 1), issued_ago)
            end, ent_status = NULL, "A"
            if status == "C":
                end, ent_status = self._ts(closed_ago), "C"
            elif status == "S":
                ent_status = "S"
            else:
                x = r.random()
                if not basic and x < 0.20:
                    end, ent_status = self._ts(r.randint(1, start_ago)), "C"
                elif not basic and x < 0.23:
                    ent_status = "S"
                elif x < 0.40:
                    end = self._ts(-r.randint(1, 365))  # paid up to a date ahead
            updated = end if ent_status == "C" else self._ts(r.randint(1, start_ago))
            self.entitlements.append(f"{card_no}\t{product}\t{self._ts(start_ago)}\t{end}\t{ent_status}\t"
                                     f"{updated}\n")
