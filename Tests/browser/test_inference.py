#!/usr/bin/env python3
"""Browser test of the page's inference views: a real headless Chromium against a real server.

    python3 Tests/browser/test_inference.py MORPHIC_BINARY ARTIFACT_FOLDER

Submits a small reference sweep (controls and field runs drawn from a prior), then on its
view: the calibration table lists the three varied parameters with their coverage; the map
draws every run on a canvas and recolours by another parameter; a dragged rectangle becomes
the run table's filter, whose matched count equals the points inside, and is ANDed with a
typed condition, which stays when the rectangle is cleared; a click on a point opens that run, whose "what produced this run?" shows one
interval strip per parameter with the run's own value marked, and p_field; a control's marks no
field parameter and says no field acted. Then: the map is
drawn while the reference still trains, whose progress is said and asked less and less often;
a sweep too small to be a reference asks for no calibration and no posterior and says why; a
failed run's panel says it failed, with its error, and no replay; the focused skip link and the
map's colour scale keep their contrast in both schemes; 320 px does not scroll sideways; a
never-negative statistic's interval stops at 0. Screenshots go to ARTIFACT_FOLDER. Ends with
'N passed, N failed'.
"""
import contextlib, json, os, sys, tempfile, time, shutil, urllib.parse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_view import REDRAWN, Checks, api, browser, console_errors, start_server  # noqa: E402

REFERENCE = {
    "name": "page-reference", "seed": 3, "defaults": {"generations": 30, "grid_size": 12},
    "groups": [
        {"prefix": "control", "mode": "classical",
         "sample": {"count": 150, "method": "random", "params": {"temporal_decay": {"uniform": [0.0, 0.5]}}}},
        {"prefix": "morphic", "mode": "morphic", "params": {"crystal_count": 5},
         "sample": {"count": 450, "method": "latin_hypercube",
                    "params": {"field_strength": {"uniform": [0.05, 1.0]}, "temporal_decay": {"uniform": [0.0, 0.5]},
                               "similarity_threshold": {"uniform": [0.5, 0.9]}}}}]}

# Too few runs to be a reference (about 8 train, 1 validation, 1 test points of 2 runs), and
# llm_control runs that fail.
SMALL = {
    "name": "page-small", "seed": 5, "defaults": {"generations": 10, "grid_size": 8},
    "groups": [
        {"prefix": "c", "mode": "morphic", "replicates": 2, "params": {"crystal_count": 3},
         "grid": {"field_strength": [0.2, 0.4, 0.6, 0.8, 1.0]}},
        {"prefix": "l", "replicates": 2, "params": {"mode": "llm_control"}, "grid": {}}]}


def channels(css):
    """r, g, b of a computed CSS colour (`rgb(…)` or `rgba(…)`)."""
    return [float(v) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3]]


def contrast(a, b):
    """WCAG's contrast ratio of two colours, each CSS text or r, g, b."""
    def luminance(colour):
        linear = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
                  for c in (channels(colour) if isinstance(colour, str) else colour)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@contextlib.contextmanager
def colour_scheme(driver, scheme):
    """The page as the system's light or dark preference shows it."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def main():
    binary, artifacts = sys.argv[1], sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)
    data = tempfile.mkdtemp(prefix="morphic-inference-page-")
    # A language model nobody serves (a closed loopback port): llm_control runs fail at once,
    # for a sweep with failed runs.
    config = os.path.join(data, "server.json")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Config", "server.json")) as file:
        settings = json.load(file)
    settings["llm"] = {"endpoint": "http://127.0.0.1:9/v1/chat/completions", "model": "none"}
    with open(config, "w") as file:
        json.dump(settings, file)
    server, url = start_server(binary, data, config=config)
    driver = browser(artifacts)
    check = Checks(driver, artifacts, "inference")

    try:
        status, sweep = api(url, "/api/sweeps", "POST", json.dumps(REFERENCE).encode())
        assert status in (200, 202), status
        sweep_id = sweep["id"]
        deadline = time.time() + 300
        while api(url, f"/api/sweeps/{sweep_id}")[1]["status"] != "completed":
            assert time.time() < deadline, "the reference did not finish"
            time.sleep(0.5)
        driver.get(f"{url}/#/sweeps/{sweep_id}")
        wait = WebDriverWait(driver, 120, ignored_exceptions=REDRAWN)

        def calibration():
            rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#calibration tbody tr"))
            assert sorted(r.get_attribute("data-parameter") for r in rows) == [
                "field_strength", "similarity_threshold", "temporal_decay"]
            cells = rows[0].find_elements(By.TAG_NAME, "td")
            assert 0 <= float(cells[2].text) <= 1 and 0 <= float(cells[4].text) <= 1
            assert "ROC AUC" in driver.find_element(By.ID, "calibration-field").text
            # A parameter estimated no better than the constant guess is named in a warning; the
            # others are not.
            _, answer = api(url, f"/api/sweeps/{sweep_id}/calibration")
            uninformed = sorted(n for n, f in answer["parameters"].items() if not f["median_mae"] < f["constant_mae"])
            warnings = driver.find_elements(By.ID, "calibration-warning")
            if uninformed:
                assert warnings and sorted(warnings[0].text.split(":")[0].split(", ")) == uninformed, (uninformed, [w.text for w in warnings])
            else:
                assert not warnings, [w.text for w in warnings]
        check("calibration_table_lists_every_varied_parameter", calibration)

        def run_map():
            figure = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#run-map[data-points]"))
            # Every finished run is a point, drawn on one canvas: no element per point.
            assert figure.get_attribute("data-points") == "600", figure.get_attribute("data-points")
            assert not driver.find_elements(By.CSS_SELECTOR, "#run-map circle")
            canvas = figure.find_element(By.TAG_NAME, "canvas")
            Select(driver.find_element(By.ID, "map-colour")).select_by_value("label")
            assert "(classical, morphic)" in figure.text or "(morphic, classical)" in figure.text, figure.text
            canvas = driver.find_element(By.CSS_SELECTOR, "#run-map canvas")  # drawn anew
            ActionChains(driver).move_to_element_with_offset(canvas, -150, -100).click_and_hold() \
                .move_by_offset(220, 160).release().perform()
            wait.until(lambda d: d.find_element(By.ID, "run-filter").get_attribute("value").startswith("map_x >= "))
            selected = int(wait.until(lambda d: d.find_element(By.ID, "run-map").get_attribute("data-selected")))
            assert 0 < selected < 600, selected
            # The table asks the server for exactly the rectangle: its count is the points inside.
            wait.until(lambda d: d.find_element(By.ID, "run-count").text.startswith(f"{selected:,} of 600"))
            status, answer = api(url, f"/api/sweeps/{sweep_id}/runs?limit=1&filter="
                                 + urllib.parse.quote(driver.find_element(By.ID, "run-filter").get_attribute("value")))
            assert status == 200 and answer["matched"] == selected, (status, answer)
            driver.save_screenshot(os.path.join(artifacts, "inference-sweep.png"))
            # A click on empty space clears the rectangle and the filter.
            driver.execute_script(
                "const c = document.querySelector('#run-map canvas'), b = c.getBoundingClientRect();"
                "for (const t of ['pointerdown', 'pointerup']) c.dispatchEvent(new PointerEvent(t, {bubbles: true, clientX: b.left + 1, clientY: b.top + 1}));")
            wait.until(lambda d: d.find_element(By.ID, "run-filter").get_attribute("value") == "")
            wait.until(lambda d: d.find_element(By.ID, "run-count").text.startswith("600 of 600"))
        check("map_draws_every_run_and_its_brush_filters_the_table", run_map)

        def map_and_typed_filter():
            # A typed condition stays: the rectangle is ANDed with it, and clearing the
            # rectangle gives back what was typed.
            box = driver.find_element(By.ID, "run-filter")
            box.clear()
            box.send_keys("mode = morphic")
            wait.until(lambda d: d.find_element(By.ID, "run-count").text.startswith("450 of 600"))
            canvas = driver.find_element(By.CSS_SELECTOR, "#run-map canvas")
            ActionChains(driver).move_to_element_with_offset(canvas, -150, -100).click_and_hold() \
                .move_by_offset(220, 160).release().perform()
            wait.until(lambda d: "map_x >= " in d.find_element(By.ID, "run-filter").get_attribute("value"))
            value = driver.find_element(By.ID, "run-filter").get_attribute("value")
            assert value.startswith("mode = morphic and map_x >= "), value
            selected = int(wait.until(lambda d: d.find_element(By.ID, "run-map").get_attribute("data-selected")))
            status, both = api(url, f"/api/sweeps/{sweep_id}/runs?limit=1&filter=" + urllib.parse.quote(value))
            rectangle = value[len("mode = morphic and "):]
            _, inside = api(url, f"/api/sweeps/{sweep_id}/runs?limit=1&filter=" + urllib.parse.quote(rectangle))
            assert status == 200 and inside["matched"] == selected, (inside, selected)
            assert both["matched"] < selected, (both, selected)  # the controls inside are left out
            wait.until(lambda d: d.find_element(By.ID, "run-count").text.startswith(f"{both['matched']:,} of 600"))
            # A second rectangle replaces the first, the typed condition still kept.
            canvas = driver.find_element(By.CSS_SELECTOR, "#run-map canvas")
            ActionChains(driver).move_to_element_with_offset(canvas, -100, -60).click_and_hold() \
                .move_by_offset(120, 90).release().perform()
            wait.until(lambda d: d.find_element(By.ID, "run-filter").get_attribute("value") != value)
            second = driver.find_element(By.ID, "run-filter").get_attribute("value")
            assert second.startswith("mode = morphic and map_x >= ") and second.count("map_x") == 2, second
            driver.execute_script(
                "const c = document.querySelector('#run-map canvas'), b = c.getBoundingClientRect();"
                "for (const t of ['pointerdown', 'pointerup']) c.dispatchEvent(new PointerEvent(t, {bubbles: true, clientX: b.left + 1, clientY: b.top + 1}));")
            wait.until(lambda d: d.find_element(By.ID, "run-filter").get_attribute("value") == "mode = morphic")
            wait.until(lambda d: d.find_element(By.ID, "run-count").text.startswith("450 of 600"))
            box.clear()
            box.send_keys(" ")
            box.clear()
            wait.until(lambda d: d.find_element(By.ID, "run-count").text.startswith("600 of 600"))
        check("map_rectangle_is_anded_with_the_typed_filter", map_and_typed_filter)

        def posterior():
            # The first morphic run's point, where the page draws it.
            run_id, px, py = driver.execute_script(
                "const m = morphic.inference.map, MAP = morphic.MAP, i = m.run_id.findIndex((r) => r.startsWith('morphic_'));"
                "const c = document.querySelector('#run-map canvas'), b = c.getBoundingClientRect();"
                "let [x0, x1, y0, y1] = [Math.min(...m.x), Math.max(...m.x), Math.min(...m.y), Math.max(...m.y)];"
                "const px = MAP.pad + (m.x[i] - x0) / ((x1 - x0) || 1) * (MAP.width - 2 * MAP.pad);"
                "const py = MAP.height - MAP.pad - (m.y[i] - y0) / ((y1 - y0) || 1) * (MAP.height - 2 * MAP.pad);"
                "return [m.run_id[i], b.left + px * b.width / MAP.width, b.top + py * b.height / MAP.height];")
            driver.execute_script(
                "const c = document.querySelector('#run-map canvas');"
                "for (const t of ['pointerdown', 'pointerup']) c.dispatchEvent(new PointerEvent(t, {bubbles: true, clientX: arguments[0], clientY: arguments[1]}));",
                px, py)
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {run_id}")
            strips = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#posterior svg.strip"))
            assert sorted(s.get_attribute("data-parameter") for s in strips) == [
                "field_strength", "similarity_threshold", "temporal_decay"]
            assert all(s.find_elements(By.CSS_SELECTOR, "path.truth") for s in strips)
            assert "Probability that a field acted" in driver.find_element(By.ID, "posterior-field").text
            driver.find_element(By.ID, "posterior").screenshot(os.path.join(artifacts, "inference-run.png"))
        check("clicking_a_point_opens_the_run_and_its_posterior", posterior)

        def control_posterior_marks_no_field_parameter():
            # A control's configuration records field parameters (defaults, a sampled temporal
            # decay) that did nothing: none is marked as the run's, each strip says no field
            # acted, with the dataset's ground truth (field strength 0, nothing for the others).
            run_id = driver.execute_script("return morphic.inference.map.run_id.find((r) => r.startsWith('control_'))")
            driver.execute_script("location.hash = arguments[0]", f"#/sweeps/{sweep_id}?run={run_id}")
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {run_id}")
            strips = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#posterior figure.posterior"))
            assert sorted(s.find_element(By.CSS_SELECTOR, "svg").get_attribute("data-parameter") for s in strips) == [
                "field_strength", "similarity_threshold", "temporal_decay"]
            assert not driver.find_elements(By.CSS_SELECTOR, "#posterior path.truth")
            captions = {s.find_element(By.CSS_SELECTOR, "svg").get_attribute("data-parameter"): s.find_element(By.TAG_NAME, "figcaption").text
                        for s in strips}
            for name, caption in captions.items():
                assert "no field acted in this run" in caption and "this run " not in caption and "▲" not in caption, caption
            assert "its ground truth is field_strength 0" in captions["field_strength"], captions
            for name in ["similarity_threshold", "temporal_decay"]:
                assert "the dataset gives it no ground truth" in captions[name], captions
            assert "no field acted" in driver.find_element(By.ID, "posterior-field").text
            # The ground truth the page marks, for every kind of run, is the dataset's `true_*`.
            truths = driver.execute_async_script(
                "import('/js/model.js').then((m) => arguments[0]([['classical', 5, 0.6], ['morphic', 5, 0.6], ['morphic', 0, 0.6],"
                " ['morphic', 5, 0], ['llm_control', 5, 0.4], ['llm_control', 5, 0]].map(([mode, crystal_count, field_strength]) =>"
                " ['field_strength', 'crystal_count', 'temporal_decay', 'grid_size'].map((n) => m.groundTruth(n,"
                " {mode, crystal_count, field_strength, temporal_decay: 0.1, grid_size: 16})))))")
            none, crystals = "no field acted in this run", "no crystals acted in this run"
            assert truths == [
                [{"value": 0, "inert": none}, {"value": 0, "inert": none}, {"value": None, "inert": none}, {"value": 16}],
                [{"value": 0.6}, {"value": 5}, {"value": 0.1}, {"value": 16}],
                [{"value": 0, "inert": none}, {"value": 0, "inert": none}, {"value": None, "inert": none}, {"value": 16}],
                [{"value": 0, "inert": none}, {"value": 0, "inert": none}, {"value": None, "inert": none}, {"value": 16}],
                [{"value": 0.4}, {"value": 0, "inert": crystals}, {"value": None, "inert": crystals}, {"value": 16}],
                [{"value": 0, "inert": none}, {"value": 0, "inert": none}, {"value": None, "inert": none}, {"value": 16}],
            ], truths
            driver.find_element(By.ID, "posterior").screenshot(os.path.join(artifacts, "inference-control-run.png"))
        check("control_posterior_marks_no_field_parameter", control_posterior_marks_no_field_parameter)

        def map_by_keyboard():
            # The map's runs are reached without a pointer: focus, End to the last, Enter opens it.
            canvas = driver.find_element(By.CSS_SELECTOR, "#run-map canvas")
            assert canvas.get_attribute("tabindex") == "0"
            driver.execute_script("arguments[0].focus()", canvas)
            last = driver.execute_script("const m = morphic.inference.map; return m.run_id[m.run_id.length - 1]")
            ActionChains(driver).send_keys(Keys.END).perform()
            wait.until(lambda d: d.find_element(By.ID, "map-hover").text.startswith(last + " "))
            ActionChains(driver).send_keys(Keys.ENTER).perform()
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {last}")
        check("the_map_opens_a_run_by_keyboard", map_by_keyboard)

        def map_does_not_wait_for_training():
            # A reference still training (every /calibration answered 202 by a stand-in for
            # fetch): the map is drawn all the same, the calibration says how far the training
            # is, and the page asks again less and less often (1, 2, 4 s …), not every second.
            script = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
                window.calibrationAsked = [];
                const realFetch = window.fetch;
                window.fetch = (input, init) => {
                  if (String(input).endsWith('/calibration')) {
                    window.calibrationAsked.push(performance.now());
                    return Promise.resolve(new Response(JSON.stringify({status: 'training', progress: 0.33}),
                      {status: 202, headers: {'Content-Type': 'application/json', 'Retry-After': '1'}}));
                  }
                  return realFetch(input, init);
                };"""})["identifier"]
            try:
                driver.get(f"{url}/#/sweeps/{sweep_id}")
                driver.refresh()
                figure = WebDriverWait(driver, 60, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.CSS_SELECTOR, "#run-map[data-points]"))
                assert figure.get_attribute("data-points") == "600", figure.get_attribute("data-points")
                assert driver.find_element(By.ID, "map-colour").is_enabled()
                WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: "33 %" in d.find_element(By.ID, "calibration").text)
                time.sleep(8)
                asked = driver.execute_script("return window.calibrationAsked")
                gaps = [b - a for a, b in zip(asked, asked[1:])]
                # 8 s after the first 202: asked at 0, 1, 3 and 7 s, never again within a second.
                assert 3 <= len(asked) <= 5 and all(g > 1500 for g in gaps[1:]), asked
                assert all(b > a * 1.5 for a, b in zip(gaps, gaps[1:])), gaps
            finally:
                driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})
        check("map_does_not_wait_for_a_training_reference_which_is_asked_less_often", map_does_not_wait_for_training)

        def small_sweep_asks_nothing_refused():
            # Too few runs to be a reference, and some failed: the view says why there is no
            # calibration and no posterior without asking for them (each a 422 the console
            # would log), draws the map, and a failed run's panel says it failed, with its
            # error, and offers nothing of a finished run's.
            status, small = api(url, "/api/sweeps", "POST", json.dumps(SMALL).encode())
            assert status in (200, 202), (status, small)
            deadline = time.time() + 120
            while api(url, f"/api/sweeps/{small['id']}")[1]["status"] not in ("completed", "failed"):
                assert time.time() < deadline, "the small sweep did not finish"
                time.sleep(0.5)
            console_errors(driver)
            driver.get(f"{url}/#/sweeps/{small['id']}")
            driver.refresh()
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#run-map[data-points]"))
            text = driver.find_element(By.ID, "calibration").text
            assert text.startswith("No calibration: its definition plans ") and "at least" in text, text
            run = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#runs tbody tr[data-run^='c_']"))
            run.click()
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {run.get_attribute('data-run')}")
            wait.until(lambda d: d.find_element(By.ID, "posterior").text.startswith("No posterior: its definition plans "))
            failed = driver.find_element(By.CSS_SELECTOR, "#runs tbody tr[data-run^='l_']")
            failed_id = failed.get_attribute("data-run")
            failed.click()
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {failed_id} failed")
            reason = driver.find_element(By.ID, "run-failure")
            assert reason.is_displayed() and reason.text.startswith("Error: ") and "language model" in reason.text, reason.text
            for hidden in ["replay-play", "replay-step", "run-charts", "posterior", "compare-add", "run-json"]:
                assert not driver.find_element(By.ID, hidden).is_displayed(), hidden
            driver.save_screenshot(os.path.join(artifacts, "inference-failed-run.png"))
            # A finished run again: its panel is whole once more.
            driver.find_element(By.CSS_SELECTOR, "#runs tbody tr[data-run^='c_']").click()
            wait.until(lambda d: d.find_element(By.ID, "replay-play").is_displayed())
            assert not driver.find_element(By.ID, "run-failure").is_displayed()
            asked = driver.execute_script(
                "return performance.getEntriesByType('resource').map((e) => e.name)"
                ".filter((n) => /[/](calibration|posterior)$/.test(n))")
            assert asked == [], asked
            errors = [e for e in console_errors(driver) if "favicon" not in e]
            assert not errors, errors
            # Opened from its address, before the table lists it: the run's route says it
            # failed (409), and the panel says so the same way.
            driver.get(f"{url}/#/sweeps/{small['id']}?run={failed_id}")
            driver.refresh()
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {failed_id} failed")
            assert "language model" in driver.find_element(By.ID, "run-failure").text
            assert not driver.find_element(By.ID, "replay-play").is_displayed()
        check("a_small_sweep_asks_nothing_refused_and_a_failed_run_says_so", small_sweep_asks_nothing_refused)

        def skip_link_contrast():
            # Focused, the skip link is readable in either scheme (4.5:1 for text).
            for scheme in ["light", "dark"]:
                with colour_scheme(driver, scheme):
                    driver.get(f"{url}/#/")
                    driver.refresh()
                    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#view-sweeps:not([hidden])"))
                    fg, bg = driver.execute_script(
                        "const s = document.querySelector('.skip'); s.focus(); const c = getComputedStyle(s);"
                        "return [c.color, c.backgroundColor];")
                    assert contrast(fg, bg) >= 4.5, (scheme, fg, bg, contrast(fg, bg))
        check("focused_skip_link_is_readable_in_both_schemes", skip_link_contrast)

        def map_scale_contrast():
            # Every value of the map's colour scale, drawn at the points' opacity (0.85) over
            # the page's background, stands out 3:1 (the least for graphics) in either scheme.
            colours = driver.execute_script("return Array.from({length: 101}, (_, i) => morphic.mapColour(i / 100))")
            for scheme in ["light", "dark"]:
                with colour_scheme(driver, scheme):
                    background = channels(driver.execute_script("return getComputedStyle(document.body).backgroundColor"))
                    for t, colour in enumerate(colours):
                        drawn = [0.85 * c + 0.15 * b for c, b in zip(channels(colour), background)]
                        assert contrast(drawn, background) >= 3, (scheme, t / 100, colour, contrast(drawn, background))
        check("map_colour_scale_stands_out_in_both_schemes", map_scale_contrast)

        def narrow_screen_does_not_scroll_sideways():
            # 320 CSS pixels wide (a small phone, or 1280 at 400 % zoom): the sweep view with a
            # run open fits; wide parts (the run table, the importance table) scroll within
            # themselves, not the page.
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": 320, "height": 800, "deviceScaleFactor": 1, "mobile": False})
            try:
                _, listing = api(url, f"/api/sweeps/{sweep_id}/runs?limit=1&filter=" + urllib.parse.quote("mode = morphic"))
                run_id = listing["runs"][0]["run_id"]
                driver.get(f"{url}/#/sweeps/{sweep_id}?run={run_id}")
                driver.refresh()
                wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {run_id}")
                wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#importance table"))
                wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#posterior svg.strip"))
                wide = driver.execute_script(
                    "const w = document.documentElement.clientWidth;"
                    "return [document.documentElement.scrollWidth, w, [...document.querySelectorAll('body *')]"
                    ".filter((e) => e.getBoundingClientRect().right > w + 0.5 && !e.closest('.table-wrap, .diff-wrap, #importance, #calibration, .skip'))"
                    ".slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))]")
                assert wide[0] <= wide[1], wide
                driver.save_screenshot(os.path.join(artifacts, "inference-320.png"))
            finally:
                driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        check("narrow_screen_does_not_scroll_sideways", narrow_screen_does_not_scroll_sideways)

        def intervals_of_non_negative_statistics_stop_at_zero():
            # A mean near 0 over three runs: its 95 % interval is drawn and said from 0, not
            # from −0.007, for a statistic that is never negative; an interval above 0 as it is.
            drawn = driver.execute_async_script(
                "import('/js/sweep-chart.js').then((m) => arguments[0](['avg_influence_rate', 'total_overrides', 'convergence_generation']"
                ".map((y) => [m.drawnPoint({x: 0.5, mean: 0.0063, low: -0.00737, high: 0.02, n: 3, quantiles: [0, 0, 0.004, 0.01, 0.015]}, y).low,"
                " m.drawnPoint({x: 0.5, mean: 3, low: 1.5, high: 4.5, n: 3, quantiles: [1, 2, 3, 4, 5]}, y).low])))")
            assert drawn == [[0, 1.5]] * 3, drawn
        check("intervals_of_non_negative_statistics_stop_at_zero", intervals_of_non_negative_statistics_stop_at_zero)
        def map_greys_what_did_not_act_as_the_ground_truth_does():
            # The map's colours by a parameter: a run where it did not act has no value (grey),
            # as the dataset's ground truth and the run's posterior say: a control's field
            # strength and temporal decay, a morphic run's without crystals (no field acted);
            # an llm_control run's field strength acts, its crystals' decay does not.
            values = driver.execute_async_script(
                "import('/js/map-data.js').then((m) => {"
                " const enc = (t) => new TextEncoder().encode(t);"
                " const map = enc(JSON.stringify({explained: [0.5, 0.2], run_id: ['c', 'm', 'z', 'l'], x: [0, 1, 2, 3], y: [0, 1, 2, 3]}));"
                " const csv = enc('run_id,mode,status,field_strength,temporal_decay,crystal_count\\n'"
                "   + 'c,classical,completed,0.6,0.1,5\\nm,morphic,completed,0.4,0.3,5\\nz,morphic,completed,0.5,0.2,0\\nl,llm_control,completed,0.7,0.1,\\n');"
                " const d = m.mapData(map, csv, ['field_strength', 'temporal_decay', 'crystal_count']);"
                " arguments[0](['field_strength', 'temporal_decay'].map((n) => [...d.columns[n].values].map((v) => Number.isNaN(v) ? null : v)));"
                "})")
            assert values == [[None, 0.4, None, 0.7], [None, 0.3, None, None]], values
        check("map_greys_what_did_not_act_as_the_ground_truth_does", map_greys_what_did_not_act_as_the_ground_truth_does)

    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    sys.exit(check.summary())


if __name__ == "__main__":
    main()
