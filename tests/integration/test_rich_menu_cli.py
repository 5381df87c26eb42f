"""`fundbot richmenu install|show|remove|image` against the fake LINE server.

The fake plays LINE's two hosts: api.line.me for the menu, api-data.line.me for its picture.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from handlers.debtor_menu import NAME, debtor_menu
from tests.line_schema import problems

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def line(cli, fake_line, monkeypatch):
    """The CLI pointed at the fake's API host and at its data host (a second server)."""
    data = fake_line.data_host()
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-token")
    monkeypatch.setenv("LINE_API_BASE_URL", fake_line.url)
    monkeypatch.setenv("LINE_API_DATA_URL", data.url)
    yield fake_line
    data.stop()


def one_error_line(result) -> str:
    assert result.exit_code != 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("ข้อผิดพลาด: ")
    return lines[0]


def test_install_creates_uploads_and_sets_the_default(cli, line):
    result = cli("richmenu", "install")

    assert result.exit_code == 0, result.output
    [(menu_id, body)] = line.rich_menus.items()
    assert result.stdout.strip() == f"ริชเมนู {menu_id} เป็นเมนูหลักของผู้ใช้ทุกคนแล้วค่ะ"
    assert problems(body, "RichMenuRequest") == []
    assert body == debtor_menu().request_body()
    png = line.rich_menu_images[menu_id]
    assert png.startswith(PNG_MAGIC) and len(png) < 1024 * 1024
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (2500, 1686)
    assert line.default_rich_menu == menu_id
    # The picture went to the data host, as image/png; everything else to the API host.
    [upload] = [r for r in line.requests if r.path.endswith("/content")]
    assert (upload.host, upload.headers["content-type"]) == ("data", "image/png")
    assert upload.path == f"/v2/bot/richmenu/{menu_id}/content"
    assert {r.host for r in line.requests if r is not upload} == {"api"}


def test_install_again_replaces_the_old_menu(cli, line):
    cli("richmenu", "install")
    [first] = line.rich_menus
    other = cli("richmenu", "install")

    assert other.exit_code == 0, other.output
    [second] = line.rich_menus
    assert second != first
    assert line.default_rich_menu == second
    assert other.stdout.strip().splitlines()[-1] == f"แทนที่เมนูเดิม 1 เมนู: {first}"
    assert list(line.rich_menu_images) == [second]


def test_another_menu_of_the_channel_is_left_alone(cli, line, fake_line):
    from bot.line.client import LineClient

    client = LineClient("test-token", fake_line.url)
    theirs = {**debtor_menu().request_body(), "name": "campaign"}
    campaign = client.create_rich_menu(theirs)
    client.close()

    assert cli("richmenu", "install").exit_code == 0
    assert campaign in line.rich_menus and len(line.rich_menus) == 2


def test_a_refusal_from_line_is_one_thai_line(cli, line):
    line.fail_next("/v2/bot/richmenu", 400, {"message": "The request body has 1 error(s)"})

    error = one_error_line(cli("richmenu", "install"))

    assert error == "ข้อผิดพลาด: LINE ไม่รับริชเมนู: The request body has 1 error(s)"
    assert line.rich_menus == {}


def test_a_failed_upload_leaves_no_half_made_menu(cli, line):
    cli("richmenu", "install")
    [before] = line.rich_menus
    line.fail_next("/content", 500, {"message": "Internal error"})

    error = one_error_line(cli("richmenu", "install"))

    assert "Internal error" in error
    # The menu debtors had is still there and still the default.
    assert list(line.rich_menus) == [before] and line.default_rich_menu == before


def test_without_a_token_it_says_so(cli):
    error = one_error_line(cli("richmenu", "install"))
    assert "LINE_CHANNEL_ACCESS_TOKEN" in error


def test_show_and_remove(cli, line):
    assert "fundbot richmenu install" in cli("richmenu", "show").stdout
    cli("richmenu", "install")
    [menu_id] = line.rich_menus

    shown = cli("richmenu", "show").stdout.strip()
    assert shown.startswith(f"{menu_id}  เมนูหลัก  เมนู  ยอดหนี้ | ชำระเงิน | ส่งสลิป")

    assert cli("richmenu", "remove").stdout.strip() == "ลบริชเมนูแล้ว 1 เมนูค่ะ"
    assert line.rich_menus == {} and line.default_rich_menu is None
    assert NAME not in cli("richmenu", "show").stdout


def test_image_writes_the_picture_without_line(cli, tmp_path):
    target = tmp_path / "menu.png"
    result = cli("richmenu", "image", str(target))
    assert result.exit_code == 0, result.output
    with Image.open(target) as image:
        assert image.size == (2500, 1686)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"chatBarText": "x" * 15}, "longer than 14"),
        ({"size": {"width": 2500, "height": 2000}}, "width/height"),
        ({"areas": []}, "between 1 and 20"),
        ({"colour": "red"}, "no property 'colour'"),
    ],
)
def test_the_fake_refuses_what_line_refuses(fake_line, change, why):
    import json
    import urllib.error
    import urllib.request

    body = {**debtor_menu().request_body(), **change}
    request = urllib.request.Request(
        f"{fake_line.url}/v2/bot/richmenu",
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer test-token", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400
    assert why in json.loads(refused.value.read())["details"][0]["message"]
