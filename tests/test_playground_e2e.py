"""The playground page in headless Chromium: build a shallow net on the planar data, train it
until the page shows more than 85 % test accuracy, take a screenshot, download the model and
evaluate it with the CLI; settings travel in the URL; tabs train on their own; mistakes show
as messages on the page.

Uses Debian's /usr/bin/chromium through Playwright's Python package (never Playwright's own
browser download). ``LAYERWISE_UPDATE_SCREENSHOT=1`` writes the screenshot to
docs/img/playground.png; otherwise it goes to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the playground server needs the web extra: pip install 'layerwise[web]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need Playwright's Python package (the web extra)")

from layerwise.playground.server import websocket_support  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "img" / "playground.png"
TIMEOUT_MS = 30_000

pytestmark = [
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="no chromium to drive (CI apt-installs chromium)"),
    pytest.mark.skipif(not websocket_support(), reason="uvicorn needs the websockets package for WebSocket: pip install 'layerwise[web]'"),
]


@pytest.fixture(scope="module")
def server():
    """``layerwise playground --port 0 --no-browser`` in a subprocess; yields its printed address."""
    proc = subprocess.Popen([sys.executable, "-m", "layerwise", "playground", "--port", "0", "--no-browser"],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        line = proc.stdout.readline()
        match = re.match(r"layerwise playground: (http://127\.0\.0\.1:\d+/)", line)
        assert match, f"unexpected first line {line!r}"
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except sync_api.Error as exc:
            pytest.skip(f"chromium at {CHROMIUM} does not start under Playwright: {exc}")
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def accuracy(page, part: str) -> float:
    return float(page.get_attribute(f"#{part}-accuracy", "data-value"))


def test_train_planar_screenshot_download_and_evaluate(server, page, tmp_path, capsys):
    page.goto(server)
    page.click("#datasets button[data-name=planar]")
    page.click("#add-layer")  # a hidden layer of 2 units
    layer = page.locator(".layer-controls[data-layer='0']")
    for units in ("3 units", "4 units"):
        layer.locator(".add-unit").click()
        sync_api.expect(layer.locator(".units")).to_have_text(units)
    layer.locator("select.activation").select_option("tanh")
    sync_api.expect(page.locator(".unit")).to_have_count(2 + 4 + 1)
    assert "layers=4" in page.url and "activations=tanh" in page.url

    page.click("#play")
    page.wait_for_function("parseFloat(document.querySelector('#test-accuracy').dataset.value) > 0.85")
    page.wait_for_function("parseInt(document.querySelector('#epoch').textContent.replace(/,/g, '')) >= 150")
    page.click("#play")  # pause
    sync_api.expect(page.locator("#play")).to_have_attribute("aria-label", "Play")
    assert accuracy(page, "test") > 0.85 and accuracy(page, "train") > 0.85

    # the plane is painted in both classes' colours and the cost curves are drawn
    colours = page.evaluate("""() => {
        const data = document.querySelector('#boundary').getContext('2d').getImageData(0, 0, 340, 340).data;
        let orange = 0, blue = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i] > data[i + 2] + 40) orange++;
            if (data[i + 2] > data[i] + 40) blue++;
        }
        return [orange, blue];
    }""")
    assert min(colours) > 0.2 * 340 * 340, colours
    assert page.evaluate("() => document.querySelector('#curve').getContext('2d').getImageData(0, 0, 340, 90).data.some((v) => v > 0)")
    shot = SCREENSHOT if os.environ.get("LAYERWISE_UPDATE_SCREENSHOT") == "1" else tmp_path / "playground.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)

    with page.expect_download() as download:
        page.click("#download")
    model = tmp_path / "model.npz"
    download.value.save_as(model)
    assert download.value.suggested_filename == "playground-planar.npz"

    cli = pytest.importorskip("layerwise.cli", reason="the layerwise command evaluates the downloaded model")
    # the model records the playground's split, so the CLI scores the very test points the page showed
    assert cli.main(["evaluate", str(model), "planar", "--split", "test", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["m"] == 120 and report["accuracy"] == pytest.approx(accuracy(page, "test"))
    assert cli.main(["evaluate", str(model), "planar"]) == 0
    assert "m = 400: accuracy" in capsys.readouterr().out


def test_settings_live_in_the_url_and_tabs_train_on_their_own(server, browser, page):
    settings = "#dataset=spiral&layers=8,5&activations=relu,tanh&optimizer=adam&learning_rate=0.01&speed=20"
    page.goto(server + settings)
    sync_api.expect(page.locator(".unit")).to_have_count(2 + 8 + 5 + 3)  # softmax: one output per class
    sync_api.expect(page.locator("#legend span")).to_have_count(3)
    assert page.locator(".layer-controls[data-layer='1'] select.activation").input_value() == "tanh"
    assert page.locator("#learning_rate").input_value() == "0.01"

    other = page.context.new_page()
    other.goto(server + settings)
    sync_api.expect(other.locator(".unit")).to_have_count(18)
    page.click("#play")
    page.wait_for_function("parseInt(document.querySelector('#epoch').textContent.replace(/,/g, '')) >= 10")
    other.click("#step")
    sync_api.expect(other.locator("#epoch")).to_have_text("1")
    other.close()  # its session ends; this tab goes on training
    epoch = int(page.text_content("#epoch").replace(",", ""))
    page.wait_for_function(f"parseInt(document.querySelector('#epoch').textContent.replace(/,/g, '')) > {epoch}")


def test_mistakes_show_as_messages_on_the_page(server, page):
    page.goto(server + "#layers=4&activations=tanh&learning_rate=-1")
    sync_api.expect(page.locator("#message-text")).to_contain_text("learning_rate is -1.0")
    page.select_option("#learning_rate", "0.03")
    sync_api.expect(page.locator("#message")).to_be_hidden()
    sync_api.expect(page.locator(".unit")).to_have_count(2 + 4 + 1)
    page.set_input_files("#upload", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"x1,x2,label\n1,oops,0\n2,3,1\n"}])
    sync_api.expect(page.locator("#message-text")).to_contain_text("'oops' is not a number")
    rows = "\n".join(f"{i % 5},{i % 7},{'ab'[i % 2]}" for i in range(40))
    page.set_input_files("#upload", files=[{"name": "two.csv", "mimeType": "text/csv", "buffer": f"u,v,kind\n{rows}\n".encode()}])
    sync_api.expect(page.locator("#message")).to_be_hidden()
    sync_api.expect(page.locator("#legend")).to_contain_text("two.csv: b")
