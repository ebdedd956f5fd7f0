"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium through the
system chromedriver (no browser download). The server runs on 127.0.0.1 on a free port; every
page is loaded, each panel must show numbers and each plotly chart must have drawn, the pages
are clicked through, and a screenshot of each is saved (into ``$HEDGEKIT_SCREENSHOTS`` when set,
which is how the README's screenshots are made, else a temporary folder).

Skipped when Chromium or chromedriver is missing, except under CI, where it fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import running_in_ci
from tests.web_support import LIVE_BOOK, serving, write_journal

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
TOKEN = "browser-token-" + "5c" * 12
NUMBER = re.compile(r"\d[\d,]*(\.\d+)?")


def _need_browser() -> None:
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        message = f"browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if running_in_ci():
            pytest.fail(f"{message}; CI must run them", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def driver():
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("HEDGEKIT_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory, data_dir):
    """The live-book example with a journal (history, alerts, an order) and a backtest report
    made from the shared Binance files."""
    from hedgekit.backtest.config import load_config, load_market, policies_from
    from hedgekit.backtest.engine import run_backtest
    from hedgekit.data import Store, import_path
    from hedgekit.reports.backtest import write_html
    from hedgekit.web import create_app
    from hedgekit.web.journal import book_key

    root = tmp_path_factory.mktemp("site")
    store = Store(root / "store")
    for coin in ("BTC", "ETH"):
        import_path(data_dir / f"futures/binance_spot_{coin}USDT_1d_2021-2024.csv.gz", store=store)
        import_path(data_dir / f"futures/binance_usdm_perp_{coin}USDT_1d_2021-2024.csv.gz", store=store)
        import_path(data_dir / f"funding/binance_usdm_{coin}USDT_funding_8h_2021-2024.csv.gz", store=store)
    cfg = load_config(LIVE_BOOK.parent / "backtest.yaml")
    assets, market = load_market(cfg, data_dir=root / "store")
    result = run_backtest(assets, market, policies_from(cfg), cash=cfg.cash_usd, reserve=cfg.reserve_usd)
    reports = root / "reports"
    reports.mkdir()
    write_html(result, reports / "btc-eth-2021-2024.html", title=cfg.name)
    data = root / "data"
    data.mkdir()
    write_journal(data / "execution" / "journal.sqlite3", book_key(LIVE_BOOK), history=72)
    with serving(create_app(LIVE_BOOK, data_dir=data, reports_dir=reports)) as url:
        yield url


def _wait(driver, script: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def _charts_drawn(driver, expected: int) -> int:
    """Wait until ``expected`` plotly charts have drawn their SVG; returns how many did."""
    return _wait(driver, "var n = document.querySelectorAll('.js-plotly-plot .main-svg').length;"
                         "var p = document.querySelectorAll('.js-plotly-plot').length;"
                         f"return p >= {expected} && n >= p ? p : 0;")


def _shoot(driver, shots: Path, name: str) -> None:
    """A screenshot of the whole page (the window grown to the page's height)."""
    for _ in range(3):  # a resize may relayout the charts and change the height again
        height, chrome = driver.execute_script("return [document.documentElement.scrollHeight, "
                                               "window.outerHeight - window.innerHeight]")
        driver.set_window_size(1400, min(max(height, 600), 4000) + chrome)
        time.sleep(0.3)
        if driver.execute_script("return document.documentElement.scrollHeight") == height:
            break
    driver.save_screenshot(str(shots / f"{name}.png"))
    driver.set_window_size(1400, 1000)


def _panels_with_numbers(driver, css: str) -> list[str]:
    from selenium.webdriver.common.by import By

    texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]
    assert texts, f"no {css} on the page"
    return [t for t in texts if not NUMBER.search(t)]


def _no_console_errors(driver) -> None:
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_now_page_panels_and_charts(driver, site, shots):
    from selenium.webdriver.common.by import By

    driver.get(site + "/")
    assert _charts_drawn(driver, 3) == 3  # the exposure bars and one gauge per leg
    assert _panels_with_numbers(driver, ".card") == []
    kpis = {e.get_attribute("id"): e.text for e in driver.find_elements(By.CSS_SELECTOR, "#panel-kpis .card")}
    assert "1,310,000 USD" in kpis["kpi-nav"] and "BTC" in kpis["kpi-nav"]
    assert "33.3%" in kpis["kpi-drift"]
    gauges = driver.find_elements(By.CSS_SELECTOR, "#panel-gauges .js-plotly-plot")
    assert len(gauges) == 2 and all("%" in g.text for g in gauges)
    rows = driver.find_elements(By.CSS_SELECTOR, "#panel-legs tbody tr")
    assert len(rows) == 2 and "ETHUSDT" in rows[1].text and "-33.3%" in rows[1].text
    _no_console_errors(driver)
    _shoot(driver, shots, "dashboard-now")


def test_click_through_every_page(driver, site, shots):
    from selenium.webdriver.common.by import By

    driver.get(site + "/")
    expected_charts = {"history": 4, "activity": 0, "plan": 1, "reports": 0, "now": 3}
    for key in ("history", "activity", "plan", "reports", "now"):
        driver.find_element(By.ID, f"nav-{key}").click()
        _wait(driver, f"return document.getElementById('nav-{key}').classList.contains('active')")
        if expected_charts[key]:
            assert _charts_drawn(driver, expected_charts[key]) == expected_charts[key]
        assert _panels_with_numbers(driver, ".card") == [], key
        _no_console_errors(driver)
        if key != "now":
            _shoot(driver, shots, f"dashboard-{key}")
    driver.get(site + "/activity")
    text = driver.find_element(By.ID, "panel-alerts").text
    assert "fired" in text and "recovered" in text and "another book" not in text
    assert "hk-0001" in driver.find_element(By.ID, "panel-orders").text


def test_history_charts_drew_the_recorded_points(driver, site):
    driver.get(site + "/history")
    _charts_drawn(driver, 4)
    points = driver.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(function (el) { return el.data[0].y.filter(function (v) { return v !== null; }).length; });")
    assert points == [72, 72, 72, 72]


def test_backtest_report_opens_from_the_dashboard_and_draws_offline(driver, site, shots):
    from selenium.webdriver.common.by import By

    driver.get(site + "/reports")
    driver.find_element(By.CSS_SELECTOR, "a.report-link").click()
    _wait(driver, "return document.getElementById('summary') !== null")
    assert _charts_drawn(driver, 1) == 1
    traces = driver.execute_script("return document.getElementById('charts').data.length")
    assert traces >= 13  # unhedged + 4 panels x 3 policies
    # one colour per policy across every panel
    colours = driver.execute_script(
        "var byName = {}; document.getElementById('charts').data.forEach(function (t) {"
        " if (t.mode === 'markers' || t.name === 'unhedged') return;"
        " (byName[t.name] = byName[t.name] || []).push(t.line.color); }); return byName;")
    assert len(colours) == 3 and all(len(set(c)) == 1 and len(c) == 4 for c in colours.values())
    assert len({c[0] for c in colours.values()}) == 3
    table = driver.find_element(By.ID, "summary").text
    assert re.search(r"\d{3},\d{3}", table) and "%" in table and "e+0" not in table
    external = driver.execute_script(
        "return Array.from(document.scripts).filter(function (s) { return s.src; }).length")
    assert external == 0
    _shoot(driver, shots, "backtest-report")


def test_actions_with_token_login_csrf(driver, tmp_path, shots):
    from selenium.webdriver.common.by import By

    from hedgekit.web import create_app

    app = create_app(LIVE_BOOK, data_dir=tmp_path, allow_actions=True, token=TOKEN)
    with serving(app) as url:
        driver.get(url + "/")
        _wait(driver, "return location.pathname === '/login'")
        driver.find_element(By.ID, "token").send_keys(TOKEN)
        driver.find_element(By.ID, "login").click()
        _wait(driver, "return location.pathname === '/'")
        assert _charts_drawn(driver, 3) == 3
        assert TOKEN not in driver.page_source
        driver.find_element(By.ID, "action-rebalance").click()
        driver.switch_to.alert.accept()
        _wait(driver, "return document.getElementById('action-result') !== null")
        # the book's trades have no account to send them to: the executor's guards skip them
        assert "rebalance: no orders" in driver.find_element(By.ID, "action-result").text
        driver.delete_all_cookies()


def test_inverse_book_report_draws_the_coin_equity_panel(driver, data_dir, tmp_path, shots):
    """A book hedged with an inverse contract gets a panel of its value in the coin, with the
    unhedged book (a constant number of coins) beside the hedged ones."""
    from hedgekit.backtest.engine import AssetSpec, Policy, align_market, run_backtest
    from hedgekit.reports.backtest import write_html
    from tests.test_backtest_parity import binance_inputs, inverse

    spot, hedge, funding = binance_inputs(data_dir, coins=("BTC",))
    # the USD-M perp's prices and funding stand in for the COIN-M contract's (no COIN-M history here)
    assets = [AssetSpec(name="BTC", coins=2.0, instrument=inverse("BTC"), fee=0.0005)]
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding)
    result = run_backtest(assets, market, [Policy(name="no hedge", method="none"),
                                           Policy(name="inverse 1x", ratio=1.0, leverage=1.0, band=0.05)])
    page = tmp_path / "inverse.html"
    write_html(result, page, title="BTC hedged with an inverse perpetual")
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(page.as_uri())
    assert _charts_drawn(driver, 1) == 1
    titles = driver.execute_script(
        "return document.getElementById('charts').layout.annotations.map(function (a) { return a.text; })")
    assert titles[:2] == ["equity (USD)", "equity (BTC): the book valued in BTC"]
    unhedged_btc = driver.execute_script(
        "var t = document.getElementById('charts')._fullData.filter(function (t) {"
        " return t.name === 'unhedged' && t.yaxis === 'y2'; })[0]; var y = Array.from(t.y);"
        " return [Math.min.apply(null, y), Math.max.apply(null, y)];")
    assert unhedged_btc == pytest.approx([2.0, 2.0], rel=1e-9)  # 2 BTC held, nothing else
    _no_console_errors(driver)
    _shoot(driver, shots, "backtest-report-inverse")
