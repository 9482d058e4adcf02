"""artgan studio end to end in headless Chromium (Selenium + Debian's chromium and
chromedriver; `make test` installs them, see the Makefile's `browser` target).

The studio runs in a thread of this process on a free loopback port; the browser moves
a slider, uploads a painting and a non-image, and downloads a PNG that `artgan generate`
must reproduce bit for bit.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgan.cli import main
from artgan.studio.server import make_server, serve_in_thread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver")
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("needs Debian's chromium and chromium-driver: run `make browser`",
                allow_module_level=True)  # fmt: skip

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def studio(trained_run, tmp_path_factory):
    server, url, _ = make_server(trained_run, port=0, out=tmp_path_factory.mktemp("s"),
                                 precision="fp32")  # fmt: skip
    thread = serve_in_thread(server)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download
    downloads = tmp_path_factory.mktemp("downloads")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                f"--user-data-dir={tmp_path_factory.mktemp('profile')}"):  # fmt: skip
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})  # fmt: skip
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=opts)
    driver.downloads = downloads
    yield driver
    driver.quit()


PIXELS_JS = """
const img = document.getElementById(arguments[0]);
const c = document.createElement('canvas');
c.width = img.naturalWidth; c.height = img.naturalHeight;
const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
return Array.from(ctx.getImageData(0, 0, c.width, c.height).data);
"""


def _wait(driver, cond, timeout=30):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: cond(d))


def _renders(driver) -> int:
    return int(driver.find_element(By.ID, "image").get_attribute("data-renders") or 0)


def _open(driver, url):
    driver.get(url)
    _wait(driver, lambda d: _renders(d) >= 1)


def test_moving_a_slider_changes_the_image(browser, studio):
    _open(browser, studio)
    before = browser.execute_script(PIXELS_JS, "image")
    n = _renders(browser)
    slider = browser.find_element(By.ID, "code-c1")
    ActionChains(browser).click_and_hold(slider).move_by_offset(-60, 0).release().perform()
    _wait(browser, lambda d: _renders(d) > n)
    time.sleep(0.3)  # let coalesced renders settle
    after = browser.execute_script(PIXELS_JS, "image")
    assert len(before) == len(after) == 16 * 16 * 4
    assert before != after
    assert browser.find_element(By.ID, "error").text == ""


def test_uploading_a_painting_shows_its_reconstruction(browser, studio, tiny_data, tmp_path):
    _open(browser, studio)
    painting = tmp_path / "painting.jpg"
    Image.fromarray(tiny_data.images[5]).resize((48, 48)).save(painting)
    browser.find_element(By.ID, "upload").send_keys(str(painting))
    loaded = "const r = document.getElementById('recon'); return r.complete && r.naturalWidth > 0"
    _wait(browser, lambda d: d.execute_script(loaded))
    recon = np.array(browser.execute_script(PIXELS_JS, "recon")).reshape(16, 16, 4)
    assert recon[..., 3].min() == 255 and recon[..., :3].std() > 0
    assert browser.find_element(By.ID, "error").text == ""
    gallery = browser.find_elements(By.CSS_SELECTOR, "#gallery figure")
    assert any("projection" in g.text for g in gallery)


def test_uploading_a_non_image_shows_an_error(browser, studio, tmp_path):
    _open(browser, studio)
    fake = tmp_path / "notes.png"
    fake.write_text("this is not a painting")
    browser.find_element(By.ID, "upload").send_keys(str(fake))
    _wait(browser, lambda d: "not an image" in d.find_element(By.ID, "error").text)


def test_downloaded_png_is_reproduced_bit_for_bit_by_artgan_generate(browser, studio, tmp_path):
    _open(browser, studio)
    seed = browser.find_element(By.ID, "seed")
    seed.clear()
    seed.send_keys("42\n")
    _wait(
        browser, lambda d: "seed%22%3A42" in d.find_element(By.ID, "download").get_attribute("href")
    )
    n = _renders(browser)
    ActionChains(browser).click_and_hold(browser.find_element(By.ID, "code-c2")).move_by_offset(
        30, 0).release().perform()  # fmt: skip
    _wait(browser, lambda d: _renders(d) > n)
    time.sleep(0.3)
    browser.find_element(By.CSS_SELECTOR, "#download button").click()
    target = browser.downloads / "artgan-seed42.png"
    _wait(browser, lambda d: target.is_file() and not list(browser.downloads.glob("*.crdownload")))
    png = Image.open(target)
    cmd = png.text["artgan:command"].split()
    assert "--seed" in cmd and "42" in cmd and any(c.startswith("c2=") for c in cmd)
    out = tmp_path / "again"
    assert main([*cmd[1:], "--out", str(out)]) == 0
    again = np.asarray(Image.open(out / "seed000042.png").convert("RGB"))
    assert np.array_equal(np.asarray(png.convert("RGB")), again)
