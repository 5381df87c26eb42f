"""Saraburi's districts and subdistricts (ตำบล), as the demo province's area tree."""

from __future__ import annotations

import random

PROVINCE = "สระบุรี"

# The 13 districts (อำเภอ) and their 111 subdistricts, as the Department of Provincial
# Administration lists them.
SUBDISTRICTS: dict[str, tuple[str, ...]] = {
    "เมืองสระบุรี": (
        "ปากเพรียว",
        "ดาวเรือง",
        "นาโฉง",
        "โคกสว่าง",
        "หนองโน",
        "หนองยาว",
        "ปากข้าวสาร",
        "หนองปลาไหล",
        "กุดนกเปล้า",
        "ตลิ่งชัน",
        "ตะกุด",
    ),
    "แก่งคอย": (
        "แก่งคอย",
        "ทับกวาง",
        "ตาลเดี่ยว",
        "ห้วยแห้ง",
        "ท่าคล้อ",
        "หินซ้อน",
        "บ้านธาตุ",
        "บ้านป่า",
        "ท่าตูม",
        "ชะอม",
        "สองคอน",
        "เตาปูน",
        "ชำผักแพว",
        "ท่ามะปราง",
    ),
    "หนองแค": (
        "หนองแค",
        "กุ่มหัก",
        "คชสิทธิ์",
        "โคกตูม",
        "โคกแย้",
        "บัวลอย",
        "ไผ่ต่ำ",
        "โพนทอง",
        "ห้วยขมิ้น",
        "ห้วยทราย",
        "หนองไข่น้ำ",
        "หนองแขม",
        "หนองจิก",
        "หนองจรเข้",
        "หนองนาก",
        "หนองปลาหมอ",
        "หนองปลิง",
        "หนองโรง",
    ),
    "วิหารแดง": ("หนองหมู", "บ้านลำ", "คลองเรือ", "วิหารแดง", "หนองสรวง", "เจริญธรรม"),
    "หนองแซง": (
        "หนองแซง",
        "หนองควายโซ",
        "หนองหัวโพ",
        "หนองสีดา",
        "หนองกบ",
        "ไก่เส่า",
        "โคกสะอาด",
        "ม่วงหวาน",
        "เขาดิน",
    ),
    "บ้านหมอ": (
        "บ้านหมอ",
        "บางโขมด",
        "สร่างโศก",
        "ตลาดน้อย",
        "หรเทพ",
        "โคกใหญ่",
        "ไผ่ขวาง",
        "บ้านครัว",
        "หนองบัว",
    ),
    "ดอนพุด": ("ดอนพุด", "ไผ่หลิ่ว", "บ้านหลวง", "ดงตะงาว"),
    "หนองโดน": ("หนองโดน", "บ้านกลับ", "ดอนทอง", "บ้านโปร่ง"),
    "พระพุทธบาท": (
        "พระพุทธบาท",
        "ขุนโขลน",
        "ธารเกษม",
        "นายาว",
        "พุคำจาน",
        "เขาวง",
        "ห้วยป่าหวาย",
        "พุกร่าง",
        "หนองแก",
    ),
    "เสาไห้": (
        "เสาไห้",
        "บ้านยาง",
        "หัวปลวก",
        "งิ้วงาม",
        "ศาลารีไทย",
        "ต้นตาล",
        "ท่าช้าง",
        "พระยาทด",
        "ม่วงงาม",
        "เริงราง",
        "เมืองเก่า",
        "สวนดอกไม้",
    ),
    "มวกเหล็ก": ("มวกเหล็ก", "มิตรภาพ", "หนองย่างเสือ", "ลำสมพุง", "ลำพญากลาง", "ซับสนุ่น"),
    "วังม่วง": ("แสลงพัน", "คำพราน", "วังม่วง"),
    "เฉลิมพระเกียรติ": ("เขาดินพัฒนา", "บ้านแก้ง", "ผึ้งรวง", "พุแค", "ห้วยบง", "หน้าพระลาน"),
}

DISTRICTS: tuple[str, ...] = tuple(SUBDISTRICTS)

# Villages (หมู่บ้าน) in the province, and field officers (พัฒนากร), per the 2021 report.
VILLAGE_TOTAL = 973
FIELD_OFFICER_TOTAL = 52

# Fund staff zones (the report's best practice: each employee owns a zone of districts).
ZONES: tuple[tuple[str, ...], ...] = (
    ("เมืองสระบุรี", "เสาไห้", "เฉลิมพระเกียรติ"),
    ("แก่งคอย", "มวกเหล็ก", "วังม่วง"),
    ("หนองแค", "วิหารแดง", "หนองแซง"),
    ("บ้านหมอ", "ดอนพุด", "หนองโดน", "พระพุทธบาท"),
)


def village_counts(rng: random.Random, total: int = VILLAGE_TOTAL) -> dict[tuple[str, str], int]:
    """How many villages each (district, subdistrict) has, summing to `total`."""
    keys = [(d, s) for d, subs in SUBDISTRICTS.items() for s in subs]
    counts = {key: rng.randint(5, 12) for key in keys}
    # Nudge random subdistricts up or down until the province adds up.
    while (gap := total - sum(counts.values())) != 0:
        key = rng.choice(keys)
        step = 1 if gap > 0 else -1
        if 4 <= counts[key] + step <= 16:
            counts[key] += step
    return counts


def officer_counts(total: int = FIELD_OFFICER_TOTAL) -> dict[str, int]:
    """Field officers per district, in proportion to its subdistricts (largest remainder)."""
    subdistricts = sum(len(subs) for subs in SUBDISTRICTS.values())
    shares = {d: len(subs) * total / subdistricts for d, subs in SUBDISTRICTS.items()}
    counts = {d: max(1, int(share)) for d, share in shares.items()}
    by_remainder = sorted(shares, key=lambda d: shares[d] - int(shares[d]), reverse=True)
    for district in by_remainder[: max(0, total - sum(counts.values()))]:
        counts[district] += 1
    return counts
