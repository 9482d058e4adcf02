"""Screenshot artgan studio (docs/images/studio.png) in headless Chromium.

Serves RUN, keeps two images, makes an interpolation GIF, uploads PAINTING (projected
with the encoder) and moves a code slider, then saves the page.

    python docs/make_studio_screenshot.py RUN PAINTING --out docs/images/studio.png
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from artgan.studio.server import make_server, serve_in_thread


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("painting")
    ap.add_argument("--out", default="docs/images/studio.png")
    ap.add_argument("--seed", default="3")
    a = ap.parse_args()
    os.environ.setdefault("SE_OFFLINE", "true")
    with tempfile.TemporaryDirectory() as tmp:
        server, url, _ = make_server(a.run, port=0, out=f"{tmp}/studio")
        thread = serve_in_thread(server)
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", f"--user-data-dir={tmp}/profile"):  # fmt: skip
            opts.add_argument(arg)
        d = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"),
                             options=opts)  # fmt: skip
        wait = WebDriverWait(d, 60)
        try:
            d.get(url)
            wait.until(lambda d: d.find_element(By.ID, "image").get_attribute("data-renders"))
            for seed in ("1", a.seed):
                box = d.find_element(By.ID, "seed")
                box.clear()
                box.send_keys(seed + "\n")
                time.sleep(1.0)
                d.find_element(By.ID, "keep").click()
                time.sleep(1.5)
            d.find_element(By.ID, "make-gif").click()
            wait.until(lambda d: d.find_element(By.ID, "gif").get_attribute("src"))
            d.find_element(By.ID, "upload").send_keys(os.path.abspath(a.painting))
            wait.until(lambda d: d.find_element(By.ID, "recon").is_displayed())
            slider = d.find_element(By.ID, "code-c1")
            ActionChains(d).click_and_hold(slider).move_by_offset(50, 0).release().perform()
            time.sleep(2.0)
            d.save_screenshot(a.out)
            print(f"wrote {a.out}")
        finally:
            d.quit()
            server.should_exit = True
            thread.join(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
