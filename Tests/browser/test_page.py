#!/usr/bin/env python3
"""Browser test of the page in Public/: a real headless Chromium against a real server.

    python3 Tests/browser/test_page.py MORPHIC_BINARY ARTIFACT_FOLDER [CHECK ...]

Computes a finished sweep of 100,000 tiny runs with `morphic sweep` (about 3 minutes), starts
`morphic serve` on a free loopback port over it, submits the smoke sweep through the form,
watches the progress bar reach 100%, opens a run and finds its population chart with one
point per generation, downloads the archive through the page's link, and checks that a
refused definition is explained next to the field it names, switches the form to sampled
points (run count shown before submitting, a bound out of range explained next to it); then the page at scale: the
100,000-run sweep opened cold within 2 s with fewer than 3,000 elements, a filter keystroke
repainted within 300 ms, a quiet list and a hidden tab that ask (almost) nothing, a view left
mid-poll, a missing sweep, Delete, and an outage with its recovery. Screenshots of each view
go to ARTIFACT_FOLDER. Ends with 'N passed, N failed'. Named CHECKs run alone (in the file's
order; the later views' checks need submit_smoke_sweep_through_the_form before them).
"""
import json, os, re, shutil, signal, subprocess, sys, tarfile, tempfile, time, traceback, urllib.error, urllib.parse, urllib.request

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_view import (REDRAWN, GoalProbe, api, browser, console_errors, describe, finished_sweep,  # noqa: E402
                        measure_sweep_view, start_server, wait_until_indexed)


def axe_source():
    """axe-core as the axe-selenium-python package bundles it (installed by scripts/test.sh)."""
    import axe_selenium_python
    path = os.path.join(os.path.dirname(axe_selenium_python.__file__), "node_modules", "axe-core", "axe.min.js")
    with open(path) as file:
        return file.read()


def axe_violations(driver, source):
    """axe's violations on the page as it stands, as 'rule: target' lines."""
    driver.execute_script(source)
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then((r) => done(r.violations.flatMap("
        "(v) => v.nodes.map((n) => v.id + ': ' + n.target.join(' ')))), (e) => done(['axe failed: ' + e]))")


def numbers_after(text, name):
    """The number the page wrote after `name ` in `text` (its rounding: three significant digits)."""
    match = re.search(re.escape(name) + r" (-?[0-9][0-9,]*(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)", text)
    assert match, (name, text)
    return float(match.group(1).replace(",", ""))


def close(shown, exact):
    """Whether a number the page shows is `exact` as the page rounds it."""
    return abs(shown - exact) <= max(1e-9, abs(exact) * 0.005)


def eta_squared(y, x):
    """The share of y's variance explained by x's values alone (runs with both finite)."""
    pairs = [(a, b) for a, b in zip(x, y) if a is not None and b is not None]
    mean = sum(b for _, b in pairs) / len(pairs)
    total = sum((b - mean) ** 2 for _, b in pairs)
    groups = {}
    for a, b in pairs:
        groups.setdefault(a, []).append(b)
    between = sum(len(g) * (sum(g) / len(g) - mean) ** 2 for g in groups.values())
    return between / total if total > 0 else 0.0


def main():
    binary, artifacts = sys.argv[1], sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)
    data = tempfile.mkdtemp(prefix="morphic-browser-")
    downloads = tempfile.mkdtemp(prefix="morphic-downloads-")
    big, _, _ = finished_sweep(binary, data)
    server, url = start_server(binary, data)
    driver = None
    results = []

    def check(name, function):
        try:
            function()
            results.append((name, True))
            print(f"ok   {name}")
        except Exception:
            results.append((name, False))
            print(f"FAIL {name}\n{traceback.format_exc()}")
            if driver:
                driver.save_screenshot(os.path.join(artifacts, f"failed-{name}.png"))

    try:
        driver = browser(downloads)
        # The page redraws what it polls, so an element found may be replaced before it is read.
        wait = WebDriverWait(driver, 60, ignored_exceptions=REDRAWN)
        state = {}

        def fill_smoke_form():
            """The new-sweep form filled with the smoke sweep's values."""
            driver.get(url + "/#/new")
            wait.until(lambda d: d.find_element(By.ID, "view-new").is_displayed())
            values = {"name": "smoke", "seed": "1", "grid_size": "25", "generations": "100", "controls": "0",
                      "replicates": "1", "crystal_count": "5", "field_strength": "0.2, 0.6, 1.0",
                      "temporal_decay": "0.1", "similarity_threshold": "0.7"}
            for key, value in values.items():
                field = driver.find_element(By.ID, "f-" + key)
                field.clear()
                field.send_keys(value)

        def submit_smoke_sweep_through_the_form():
            fill_smoke_form()
            assert "3 runs" in driver.find_element(By.ID, "estimate").text, driver.find_element(By.ID, "estimate").text
            driver.save_screenshot(os.path.join(artifacts, "new-sweep.png"))
            driver.find_element(By.ID, "submit").click()
            wait.until(lambda d: re.search(r"#/sweeps/[a-z0-9-]+$", d.current_url))
            state["id"] = driver.current_url.rsplit("/", 1)[1]
            # The form wrote the definition it shows; the server got exactly that.
            status, sweep = api(url, "/api/sweeps/" + state["id"])
            assert status == 200 and sweep["name"] == "smoke" and sweep["progress"]["runs_total"] == 3, sweep

        def progress_bar_reaches_100_percent():
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#sweep-status progress").get_attribute("data-fraction") == "1")
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#sweep-status .status").text == "completed")
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]")) == 3)
            # One run at each of the three field strengths: nothing varies within a value, so η²
            # would be 100 % whatever the runs did. Undefined, saying why, and nothing added up.
            WebDriverWait(driver, 60, ignored_exceptions=REDRAWN).until(lambda d: "3 finished runs" in d.find_element(By.CSS_SELECTOR, "#importance caption").text)
            row = driver.find_element(By.CSS_SELECTOR, "#importance tr[data-parameter='field_strength']")
            assert row.get_attribute("data-explained") == "" and row.get_attribute("data-runs") == "3", row.text
            assert "each of the 3 values of field_strength has one run" in row.text, row.text
            note = driver.find_element(By.CSS_SELECTOR, "#importance p.hint").text
            assert "Together" not in note and "No parameter's share is defined" in note, note
            driver.save_screenshot(os.path.join(artifacts, "sweep.png"))

        def replay_plays_to_the_end_pauses_and_scrubs():
            driver.find_element(By.CSS_SELECTOR, "#runs tbody tr[data-run='morphic_3']").click()
            replay = driver.find_element(By.ID, "replay")
            wait.until(lambda d: replay.get_attribute("data-frames") == "101")
            driver.execute_script("document.getElementById('replay').scrollIntoView()")
            Select(driver.find_element(By.ID, "replay-speed")).select_by_value("60")
            driver.find_element(By.ID, "replay-play").click()
            wait.until(lambda d: replay.get_attribute("data-generation") == "100")
            wait.until(lambda d: replay.get_attribute("data-playing") == "false")
            assert driver.find_element(By.ID, "replay-play").text == "Play"
            # Playing again from the start, then pausing, holds the frame shown.
            driver.find_element(By.ID, "replay-play").click()
            wait.until(lambda d: int(replay.get_attribute("data-generation")) > 3)
            driver.find_element(By.ID, "replay-play").click()
            paused = replay.get_attribute("data-generation")
            time.sleep(0.3)
            assert replay.get_attribute("data-generation") == paused and replay.get_attribute("data-playing") == "false"
            scrub = driver.find_element(By.ID, "replay-scrub")
            driver.execute_script("arguments[0].value = 42; arguments[0].dispatchEvent(new Event('input'))", scrub)
            assert replay.get_attribute("data-generation") == "42"
            driver.find_element(By.ID, "replay-step").click()
            assert replay.get_attribute("data-generation") == "43"
            # Scrubbed to the step where the field overrode Life most, the canvas shows exactly
            # as many cells in the override colour as the run's override series counts.
            _, run = api(url, f"/api/sweeps/{state['id']}/runs/morphic_3")
            rates = run["timeseries"]["override_rate"]
            step = max(range(len(rates)), key=lambda t: rates[t])
            assert rates[step] > 0, "the field never overrode Life in morphic_3"
            driver.execute_script(f"arguments[0].value = {step + 1}; arguments[0].dispatchEvent(new Event('input'))", scrub)
            overridden = driver.execute_script("""
                const c = document.getElementById('replay-canvas'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let count = 0; for (let i = 0; i < d.length; i += 4) if (d[i] === 228 && d[i + 1] === 87 && d[i + 2] === 46) count++; return count;""")
            assert overridden == round(rates[step] * 625), (overridden, rates[step])
            # The run's charts mark the generation shown, at the point of the series entry that
            # describes that frame's state (entry step: the state after step + 1 steps).
            for chart in ["population", "morphic_influence_rate"]:
                mark, point = driver.execute_script(f"""
                    const svg = document.querySelector('#chart-{chart} svg'), line = svg.querySelector('polyline.series');
                    const now = svg.querySelector('line.now');
                    return [[now.dataset.x, Number(now.getAttribute('x1')), now.getAttribute('visibility')], line.points.getItem({step}).x];""")
                assert mark[0] == str(step + 1) and mark[2] == "visible" and abs(mark[1] - point) < 0.1, (chart, mark, point, step)
            driver.save_screenshot(os.path.join(artifacts, "replay.png"))
            # A crystal formed from a window of the state before its birth, so focusing it
            # there marks at least that window's cell; leaving it clears the marks.
            crystal = run["crystals"][0]
            born = crystal["generation_created"] - 1
            driver.execute_script(f"arguments[0].value = {born}; arguments[0].dispatchEvent(new Event('input'))", scrub)
            box = driver.find_elements(By.CSS_SELECTOR, "#crystals .crystal")[0]
            driver.execute_script("arguments[0].focus()", box)
            assert int(replay.get_attribute("data-matched")) >= 1, replay.get_attribute("data-matched")
            driver.save_screenshot(os.path.join(artifacts, "replay-crystal.png"))
            driver.execute_script("arguments[0].blur()", box)
            assert replay.get_attribute("data-matched") == ""

        def shared_url_restores_the_view_and_checks_show():
            wanted = "y=avg_population&x=field_strength&by=none&filter=mode%20%3D%20morphic&sort=-avg_population&run=morphic_2"
            driver.get(url + f"/#/sweeps/{state['id']}?{wanted}")
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == "Run morphic_2")
            assert driver.find_element(By.ID, "run-filter").get_attribute("value") == "mode = morphic"
            wait.until(lambda d: d.find_element(By.ID, "chart-y").get_attribute("value") == "avg_population")
            assert driver.find_element(By.ID, "chart-series").get_attribute("value") == "none"
            header = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#runs th[aria-sort]"))
            assert header.get_attribute("aria-sort") == "descending" and "avg population" in header.text, header.text
            rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]"))
            assert rows[0].get_attribute("data-run").startswith("morphic_"), rows[0].get_attribute("data-run")
            # Changing the chart writes the view back into the URL.
            Select(driver.find_element(By.ID, "chart-y")).select_by_value("avg_complexity")
            assert "y=avg_complexity" in driver.current_url and "run=morphic_2" in driver.current_url, driver.current_url
            # The manifest's checks, one line each, with intervals drawn in the chart.
            checks = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#validation li.check"))
            assert len(checks) == 3, [c.text for c in checks]
            phi = next(c for c in checks if c.get_attribute("data-check") == "field_strength_vs_influence_rate")
            assert "ρ =" in phi.text and phi.text.split(" · ")[0] in ("PASS", "FAIL"), phi.text

        def brushing_filters_the_table_as_the_api_does():
            driver.get(url + f"/#/sweeps/{state['id']}")
            # The axes are drawn again when the sweep's runs arrive: an axis found a moment before
            # may be gone, so the drag is tried again on a fresh one.
            for attempt in range(10):
                try:
                    hit = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#parallel .axis-hit[data-key='field_strength']"))
                    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", hit)
                    height = hit.rect["height"]
                    ActionChains(driver).move_to_element_with_offset(hit, 0, int(-height / 2) + 2).click_and_hold() \
                        .move_by_offset(0, int(height * 0.6)).release().perform()
                    if "field_strength >=" in driver.find_element(By.ID, "run-filter").get_attribute("value"):
                        break
                except StaleElementReferenceException:
                    pass
                time.sleep(0.3)
            wait.until(lambda d: "field_strength >=" in d.find_element(By.ID, "run-filter").get_attribute("value"))
            expression = driver.find_element(By.ID, "run-filter").get_attribute("value")
            _, answer = api(url, f"/api/sweeps/{state['id']}/runs?" + urllib.parse.urlencode({"filter": expression, "limit": 1}))
            expected = f"{answer['matched']} of {answer['total']} runs"
            wait.until(lambda d: d.find_element(By.ID, "run-count").text == expected)
            assert 0 < answer["matched"] < 3, (expression, answer["matched"])
            assert driver.find_element(By.ID, "parallel").get_attribute("data-selected") == str(answer["matched"])
            # A brush is not a click on the lines it ends over.
            assert not driver.find_element(By.ID, "run-detail").is_displayed()
            driver.save_screenshot(os.path.join(artifacts, "parallel.png"))
            # The statistics shown are chosen; the brush on the parameter stays.
            stats = Select(driver.find_element(By.ID, "parallel-stats"))
            stats.deselect_all()
            stats.select_by_value("avg_complexity")
            # The new statistic's column is asked for, then drawn.
            shown = lambda: [a.get_attribute("data-key") for a in driver.find_elements(By.CSS_SELECTOR, "#parallel .axis-hit")]
            try:
                wait.until(lambda d: shown() == ["field_strength", "avg_complexity"])
            except Exception:
                raise AssertionError(shown())
            assert "stats=avg_complexity" in driver.current_url, driver.current_url
            # Both views save as files.
            driver.find_element(By.ID, "parallel-svg").click()
            driver.find_element(By.ID, "chart-png").click()
            deadline = time.time() + 20
            while time.time() < deadline and not ({".svg", ".png"} <= {os.path.splitext(n)[1] for n in os.listdir(downloads)}):
                time.sleep(0.2)
            saved = os.listdir(downloads)
            assert any(n.endswith("parameter-space.svg") for n in saved) and any(n.endswith(".png") for n in saved), saved
            svg = open(os.path.join(downloads, next(n for n in saved if n.endswith("parameter-space.svg")))).read()
            assert svg.startswith("<svg") and "<image" in svg and "avg complexity" in svg, svg[:200]
            assert f"Parameter space of {state['id']}" in svg and "within the ranges drawn" in svg, svg[:400]
            # The chart as SVG: its title, its axes' labels and its legend, readable without the page.
            driver.find_element(By.ID, "chart-svg").click()
            chart = driver.find_element(By.ID, "sweep-chart")
            deadline = time.time() + 20
            while time.time() < deadline and not any(n.endswith("-by-field_strength.svg") for n in os.listdir(downloads)):
                time.sleep(0.2)
            svg = open(os.path.join(downloads, next(n for n in os.listdir(downloads) if n.endswith("-by-field_strength.svg")))).read()
            words = " ".join(re.findall(r">([^<]+)</text>", svg))
            title = chart.find_element(By.TAG_NAME, "figcaption").text
            legend = [span.text for span in chart.find_elements(By.CSS_SELECTOR, ".legend span")]
            assert " ".join(title.split()) in words and legend and all(name in words for name in legend), (title, legend, words[:300])
            assert all(driver.find_element(By.ID, axis).get_attribute("value").replace("_", " ") in words for axis in ("chart-x", "chart-y")), words[:300]
            # The view's URL, opened afresh, shows the same brush and the same table.
            shared = driver.current_url
            driver.get(url + "/#/")
            driver.get(shared)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#parallel rect.brush"))
            wait.until(lambda d: d.find_element(By.ID, "run-count").text == expected)
            assert driver.find_element(By.ID, "parallel").get_attribute("data-selected") == str(answer["matched"])

        def replay_of_a_512_grid_draws_every_frame():
            definition = json.dumps({"name": "big-grid", "defaults": {"grid_size": 512, "generations": 30},
                                     "groups": [{"prefix": "g", "mode": "classical"}]}).encode()
            _, submitted = api(url, "/api/sweeps", "POST", definition)
            deadline = time.time() + 120
            while api(url, "/api/sweeps/" + submitted["id"])[1]["status"] != "completed" and time.time() < deadline:
                time.sleep(0.5)
            driver.get(url + f"/#/sweeps/{submitted['id']}?run=g_1")
            replay = wait.until(lambda d: d.find_element(By.ID, "replay"))
            wait.until(lambda d: replay.get_attribute("data-frames") == "31")
            # Every frame of 262,144 cells drawn: the canvas holds the grid one pixel a cell.
            # (The time a frame takes is printed as a figure, not asserted: it depends on the
            # machine's load.)
            mean = driver.execute_script("""
                const start = performance.now();
                for (let i = 0; i < 31; i++) morphic.drawFrame(i);
                return (performance.now() - start) / 31;""")
            print(f"     512×512 replay: {mean:.1f} ms a frame")
            size = driver.execute_script("const c = document.getElementById('replay-canvas'); return [c.width, c.height]")
            assert size == [512, 512] and replay.get_attribute("data-generation") == "30", (size, replay.get_attribute("data-generation"))
            # Every chart saves itself: the run's charts have their own SVG and PNG buttons.
            assert len(driver.find_elements(By.CSS_SELECTOR, "#run-charts .export button")) == 8

        def compare_overlays_runs_and_lists_what_differs():
            driver.get(url + f"/#/sweeps/{state['id']}")
            for run in ["morphic_1", "morphic_2", "morphic_3"]:
                wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#runs tbody tr[data-run='{run}']"))[0].click()
                wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {run}")
                driver.find_element(By.ID, "compare-add").click()
            chart = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#compare-population polyline.series"))
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#compare-population polyline.series")) == 3)
            differing = [row.get_attribute("data-key") for row in driver.find_elements(By.CSS_SELECTOR, "#compare-diff tr[data-key]")]
            assert "field_strength" in differing and "seed" in differing and "grid_size" not in differing, differing
            # Seeds beyond 2^53 are shown with every digit, as the record has them.
            _, record = api(url, f"/api/sweeps/{state['id']}/runs/morphic_1")
            shown = driver.find_element(By.CSS_SELECTOR, "#compare-diff tr[data-key='seed'] td:nth-child(2)").text
            assert shown == str(record["config"]["seed"]), (shown, record["config"]["seed"])
            assert "compare=morphic_1%2Cmorphic_2%2Cmorphic_3" in driver.current_url or "compare=morphic_1,morphic_2,morphic_3" in driver.current_url, driver.current_url
            driver.execute_script("document.getElementById('compare').scrollIntoView()")
            driver.save_screenshot(os.path.join(artifacts, "compare.png"))
            driver.find_element(By.XPATH, "//button[text()='Remove morphic_2']").click()
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#compare-population polyline.series")) == 2)
            # A link comparing a run twice and a run the sweep does not have: each run once, and
            # the one left out said.
            driver.get(url + f"/#/sweeps/{state['id']}?compare=morphic_1,morphic_1,morphic_99")
            driver.refresh()
            wait.until(lambda d: "Not compared: morphic_99" in d.find_element(By.ID, "notice").text)
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#compare-population polyline.series")) == 1)
            assert len(driver.find_elements(By.XPATH, "//button[text()='Remove morphic_1']")) == 1

        def run_chart_has_one_point_per_generation():
            driver.find_element(By.CSS_SELECTOR, "#runs tbody tr[data-run='morphic_1']").click()
            line = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#chart-population polyline.series"))
            assert line.get_attribute("data-points") == "100", line.get_attribute("data-points")
            assert len(driver.find_elements(By.CSS_SELECTOR, "#crystals .crystal")) > 0
            # The run's parameters, every one its record has, the seed with every digit.
            _, record = api(url, f"/api/sweeps/{state['id']}/runs/morphic_1")
            shown = {row.get_attribute("data-key"): row.find_element(By.TAG_NAME, "td").text
                     for row in driver.find_elements(By.CSS_SELECTOR, "#run-params tr[data-key]")}
            assert set(shown) == set(record["config"]), (sorted(shown), sorted(record["config"]))
            assert shown["seed"] == str(record["config"]["seed"]) and float(shown["field_strength"]) == record["config"]["field_strength"], shown
            driver.execute_script("document.getElementById('run-detail').scrollIntoView()")
            driver.save_screenshot(os.path.join(artifacts, "run.png"))

        def archive_downloads_through_the_link():
            link = driver.find_element(By.ID, "archive-link")
            assert link.get_attribute("aria-disabled") == "false"
            link.click()
            deadline = time.time() + 30
            archive = None
            while time.time() < deadline and archive is None:
                names = [n for n in os.listdir(downloads) if n.endswith(".tar.gz")]
                archive = os.path.join(downloads, names[0]) if names else None
                time.sleep(0.2)
            assert archive, "no archive downloaded"
            with tarfile.open(archive) as tar:
                names = tar.getnames()
            assert f"{state['id']}/manifest.json" in names and f"{state['id']}/morphic_3.json" in names, names

        def sweep_list_shows_the_finished_sweep():
            driver.get(url + "/#/")
            smoke = wait.until(lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, "#sweep-list li") if "smoke" in e.text])
            assert "completed" in smoke[0].find_element(By.CSS_SELECTOR, ".status").text
            driver.save_screenshot(os.path.join(artifacts, "sweeps.png"))

        def refused_definition_is_explained_next_to_its_field():
            driver.get(url + "/#/new")
            field = wait.until(lambda d: d.find_element(By.ID, "f-field_strength"))
            field.clear()
            field.send_keys("0.5, 2")
            driver.find_element(By.ID, "submit").click()
            message = wait.until(lambda d: d.find_element(By.ID, "f-field_strength-error"))
            assert "[0, 1]" in message.text, message.text
            assert field.get_attribute("aria-invalid") == "true"
            driver.save_screenshot(os.path.join(artifacts, "validation-error.png"))

        def sampled_form_counts_runs_and_submits_a_sample():
            driver.get(url + "/#/new")
            wait.until(lambda d: d.find_element(By.ID, "view-new").is_displayed())
            Select(driver.find_element(By.ID, "f-design")).select_by_value("sample")
            wait.until(lambda d: d.find_element(By.ID, "f-count").is_displayed())
            assert not driver.find_element(By.ID, "f-field_strength").is_displayed()
            values = {"name": "drawn", "seed": "3", "grid_size": "12", "generations": "20", "controls": "2",
                      "replicates": "2", "count": "5", "field_strength-lo": "0.1", "field_strength-hi": "0.9"}
            for key, value in values.items():
                field = driver.find_element(By.ID, "f-" + key)
                field.clear()
                field.send_keys(value)
            Select(driver.find_element(By.ID, "f-method")).select_by_value("latin_hypercube")
            Select(driver.find_element(By.ID, "f-temporal_decay-dist")).select_by_value("log_uniform")
            field = driver.find_element(By.ID, "f-temporal_decay-lo")
            field.clear()
            field.send_keys("0.01")
            # 2 controls + 5 drawn points × 2 replicates, counted before anything is sent.
            estimate = driver.find_element(By.ID, "estimate").text
            assert "12 runs" in estimate, estimate
            definition = json.loads(driver.find_element(By.ID, "definition").get_attribute("value"))
            morphic = definition["groups"][1]
            assert "grid" not in morphic and morphic["sample"] == {
                "count": 5, "method": "latin_hypercube",
                "params": {"field_strength": {"uniform": [0.1, 0.9]}, "temporal_decay": {"log_uniform": [0.01, 0.9]},
                           "similarity_threshold": {"uniform": [0.5, 0.95]}}}, morphic
            driver.save_screenshot(os.path.join(artifacts, "new-sampled-sweep.png"))
            # A bound outside the model's range is refused and explained next to its box.
            field = driver.find_element(By.ID, "f-field_strength-hi")
            field.clear()
            field.send_keys("1.5")
            driver.find_element(By.ID, "submit").click()
            message = wait.until(lambda d: d.find_element(By.ID, "f-field_strength-hi-error"))
            assert "[0, 1]" in message.text, message.text
            assert field.get_attribute("aria-invalid") == "true"
            field.clear()
            field.send_keys("0.9")
            driver.find_element(By.ID, "submit").click()
            wait.until(lambda d: re.search(r"#/sweeps/drawn-[a-z0-9]+$", d.current_url))
            sweep_id = driver.current_url.rsplit("/", 1)[1]
            wait.until(lambda d: api(url, "/api/sweeps/" + sweep_id)[1]["status"] == "completed")
            status, sweep = api(url, "/api/sweeps/" + sweep_id)
            assert sweep["progress"]["runs_total"] == 12, sweep
            # Its first runs are controls, which vary nothing: the table still shows what is drawn.
            heads = lambda: driver.execute_script("return [...document.querySelectorAll('#runs thead button')].map((b) => b.dataset.key)")
            wait.until(lambda d: {"field_strength", "temporal_decay", "similarity_threshold"} <= set(heads()))

        def narrow_screen_keeps_every_control_reachable():
            driver.set_window_size(420, 900)
            try:
                driver.get(url + "/#/sweeps/" + state["id"])
                wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]")) == 3)
                width = driver.execute_script("return document.documentElement.scrollWidth")
                assert width <= 440, width
                unlabeled = driver.execute_script(
                    "return [...document.querySelectorAll('input, select, textarea')].filter(e => !e.labels || e.labels.length === 0).map(e => e.id)")
                assert unlabeled == [], unlabeled
                driver.save_screenshot(os.path.join(artifacts, "narrow.png"))
            finally:
                # The views after this one, and their screenshots, are on the usual screen.
                driver.set_window_size(1280, 1000)

        def filter_box_asks_the_server_and_repaints():
            driver.get(url + "/#/sweeps/" + state["id"])
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]")) == 3)
            box = driver.find_element(By.ID, "run-filter")
            box.send_keys("field_strength >= 0.")
            time.sleep(1)
            started = time.time()
            # The last keystroke: the table follows without Enter or blur. The time is printed
            # as a figure; the bound only catches a page that stalls (it depends on load).
            box.send_keys("6")
            WebDriverWait(driver, 5, poll_frequency=0.01, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "run-count").text.startswith("2 of 3"))
            repaint = time.time() - started
            print(f"     filter keystroke to repaint: {repaint * 1000:.0f} ms")
            assert repaint < 3, repaint
            box.send_keys(" and colour = red")
            error = WebDriverWait(driver, 5, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "filter-error").text)
            assert "colour" in error, error
            box.clear()
            box.send_keys(" ")
            WebDriverWait(driver, 5, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "run-count").text.startswith("3 of 3"))

        def hundred_thousand_runs_open_cold_quickly_and_stay_small():
            driver.get(url + "/#/")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-list li"))
            # Counts are written with their separators, in the list as in the sweep's status.
            wait.until(lambda d: "100,000 of 100,000 runs" in d.find_element(By.ID, "sweep-list").text)
            started = time.time()
            driver.execute_script(f"location.hash = '#/sweeps/{big}'")
            WebDriverWait(driver, 30, poll_frequency=0.02, ignored_exceptions=REDRAWN).until(
                lambda d: d.find_element(By.ID, "run-count").text.startswith("100,000 of 100,000")
                and d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run='r_1'] td"))
            elapsed = time.time() - started
            wait.until(lambda d: "100,000 of 100,000 runs" in d.find_element(By.ID, "sweep-status").text)
            # One run is "1 run", not "1 runs".
            assert driver.execute_async_script(
                "import('/js/dom.js').then((m) => arguments[0]([m.runCount(1, 'finished field'), m.runCount(100000)]))"
            ) == ["1 finished field run", "100,000 runs"]
            elements = driver.execute_script("return document.getElementsByTagName('*').length")
            print(f"     100,000 runs: total and first rows after {elapsed * 1000:.0f} ms, {elements} elements")
            # The time is a figure; the bound catches a page that reads every run first.
            assert elapsed < 15 and elements < 3000, (elapsed, elements)
            driver.execute_script("const w = document.querySelector('.table-wrap'); w.scrollTop = w.scrollHeight / 2")
            WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run='r_50000']"))
            assert driver.execute_script("return document.getElementsByTagName('*').length") < 3000

        def hundred_thousand_runs_meet_the_goals_in_light_and_dark():
            # The sweep view opened afresh (cold browser cache, warm server) in each colour
            # scheme: when its parts are drawn, what it holds, what it downloaded, how long the
            # main thread was held, and what the console said. Each is printed as a figure.
            # Elements, bytes, requests and console errors do not depend on the machine's load
            # and are asserted as the goals state them. Times and long tasks are printed, not
            # asserted: this suite runs a debug server on a shared machine, where they say more
            # about the load than the page (explorer_figures.py measures them on a release build).
            # The page is measured, not the server's first reading of every run's record.
            wait_until_indexed(url, big, limit=240)
            with GoalProbe(driver):
                for scheme in ["light", "dark"]:
                    figures = measure_sweep_view(driver, url, big, scheme, timeout=240)
                    print(f"     100,000 runs, {scheme}: " + describe(figures))
                    assert figures["supported"], "no longtask observer in this browser"
                    assert figures["elements"] < 3000, figures["elements"]
                    assert 0 < figures["transferred"] < 1.5e6, figures
                    # The validation list has its own small answer: the manifest is not read.
                    assert not [path for path in figures["paths"] if path.endswith("/manifest.json")], figures["paths"]
                    # A loaded server sheds requests with 503, which the page asks again after
                    # Retry-After (the browser logs each as a failed load); anything else is an error.
                    shed = [e for e in figures["errors"] if "status of 503" in e]
                    errors = [e for e in figures["errors"] if e not in shed]
                    if shed:
                        print(f"     {len(shed)} requests shed by the loaded server and asked again")
                    assert not errors, errors
                    # The run map (and the calibration) is asked only once every chart has its
                    # answers: computing it takes the server's cores from the charts' queries.
                    WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: d.execute_script(
                        "return performance.getEntriesByType('resource').some((e) => new URL(e.name).pathname.endsWith('/map'))"))
                    asked = driver.execute_script("""
                        const entries = performance.getEntriesByType('resource'), path = (e) => new URL(e.name).pathname;
                        const first = (suffix) => Math.min(...entries.filter((e) => path(e).endsWith(suffix)).map((e) => e.startTime));
                        return { map: first('/map'), calibration: first('/calibration'), charts: Math.max(...entries
                          .filter((e) => /\\/(aggregate|columns|importance)$/.test(path(e))).map((e) => e.responseEnd)) };""")
                    print(f"     100,000 runs, {scheme}: map asked {asked['map']:.0f} ms, calibration {asked['calibration']:.0f} ms, "
                          f"charts' last answer {asked['charts']:.0f} ms after navigation")
                    assert asked["map"] >= asked["charts"] and asked["calibration"] >= asked["charts"], asked

        def every_view_covers_every_run_and_the_whole_range():
            # The fixture's runs are in grid order: the first tenth all at field strength 0.1.
            # Each view shows the ten field strengths and ten temporal decays of all 100,000.
            driver.get(url + f"/#/sweeps/{big}?y=avg_population&x=field_strength&by=none")
            WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "parallel").get_attribute("data-runs") == "100000")
            WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "heatmap").get_attribute("data-cells") == "100")
            grid = [round(0.1 * i, 1) for i in range(1, 11)]
            boxes = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-chart path.box"))
            xs = driver.execute_script("return [...document.querySelectorAll('#sweep-chart path.box')].map((b) => Number(b.dataset.x))")
            assert sorted(xs) == grid, xs
            assert "All 100,000 finished field runs" in driver.find_element(By.ID, "chart-note").text
            scales = driver.execute_script("const s = morphic.parallel.scales; return [s.field_strength.low, s.field_strength.high, s.temporal_decay.low, s.temporal_decay.high]")
            assert scales == [0.1, 1.0, 0.0, 0.9], scales
            # The heatmap's cells say their place and numbers, by keyboard: the first and the last.
            _, answer = api(url, f"/api/sweeps/{big}/aggregate?" + urllib.parse.urlencode(
                {"y": "avg_influence_rate", "x": "field_strength", "by": "temporal_decay", "series": 40, "filter": "mode != classical"}))
            assert [s["low"] for s in answer["series"]] == [round(0.1 * i, 1) for i in range(10)] and all(len(s["points"]) == 10 for s in answer["series"]), answer["series"][0]
            canvas = driver.find_element(By.CSS_SELECTOR, "#heatmap canvas")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus()", canvas)
            tip = driver.find_element(By.CSS_SELECTOR, "#heatmap .tooltip")
            for key, series in [(None, answer["series"][0]), ("\ue010", answer["series"][-1])]:
                if key:
                    ActionChains(driver).send_keys(key).perform()
                point = series["points"][0 if key is None else -1]
                wait.until(lambda d: tip.is_displayed() and f"{point['n']:,} runs" in tip.text)
                text = tip.text
                assert close(numbers_after(text, "field strength"), point["x"]) and close(numbers_after(text, "temporal decay"), series["low"]), (text, point)
                assert close(numbers_after(text, "mean avg influence rate"), point["mean"]), (text, point)
            # By pointer, anywhere in a cell: the cell of field strength 0.5 and temporal decay 0.2.
            ActionChains(driver).move_to_element_with_offset(canvas, 0, 0).perform()
            box = canvas.rect
            cx = box["width"] * (80 + 4.3 * (480 - 88) / 10) / 480 - box["width"] / 2
            cy = box["height"] * (8 + 7.2 * (260 - 48) / 10) / 260 - box["height"] / 2
            ActionChains(driver).move_to_element_with_offset(canvas, int(cx), int(cy)).perform()
            wait.until(lambda d: "field strength 0.5," in tip.text and "temporal decay 0.2:" in tip.text)
            # Pictures: the heatmap of a statistic that varies over these runs, a cell's readout;
            # the chart and the parameter space of all 100,000 runs, as a researcher first sees them.
            Select(driver.find_element(By.ID, "heat-z")).select_by_value("avg_population")
            wait.until(lambda d: "Mean avg population" in d.find_element(By.ID, "heat-note").text)
            canvas = driver.find_element(By.CSS_SELECTOR, "#heatmap canvas")
            ActionChains(driver).move_to_element_with_offset(canvas, 0, 0).perform()
            ActionChains(driver).move_to_element_with_offset(canvas, int(cx), int(cy)).perform()
            tip = driver.find_element(By.CSS_SELECTOR, "#heatmap .tooltip")
            wait.until(lambda d: tip.is_displayed() and "mean avg population" in tip.text)
            driver.find_element(By.ID, "heatmap").screenshot(os.path.join(artifacts, "heatmap.png"))
            driver.set_window_size(1280, 1400)
            try:
                driver.execute_script("document.querySelector('#view-sweep h2').scrollIntoView()")
                time.sleep(0.5)
                driver.save_screenshot(os.path.join(artifacts, "explorer.png"))
            finally:
                driver.set_window_size(1280, 1000)

        def column_chooser_shows_the_swept_parameters():
            # By default: the parameters the sweep varies, whatever its first runs are.
            driver.get(url + f"/#/sweeps/{big}")
            # Read at once: the header is drawn again when the columns change.
            heads = lambda: driver.execute_script("return [...document.querySelectorAll('#runs thead button')].map((b) => b.dataset.key)")
            ticked = lambda: driver.execute_script("return [...document.querySelectorAll('#run-columns input:checked')].map((b) => b.value)")
            summary = lambda: driver.find_element(By.CSS_SELECTOR, "#run-columns summary").text
            WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: "field_strength" in heads() and "temporal_decay" in heads())
            shown = heads()
            # One box a column, ticked for each column shown; the summary counts them.
            assert ticked() == shown[3:], (ticked(), shown)
            boxes = len(driver.find_elements(By.CSS_SELECTOR, "#run-columns input[type=checkbox]"))
            assert summary() == f"Columns ({len(shown) - 3} of {boxes})", (summary(), boxes)
            # Opened and used with the keyboard alone: Enter on the summary, Tab to a box, Space.
            driver.execute_script("document.querySelector('#run-columns summary').focus()")
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            wait.until(lambda d: d.find_element(By.ID, "run-columns").get_attribute("open") is not None)
            driver.switch_to.active_element.send_keys(Keys.TAB)
            first = driver.switch_to.active_element
            assert first.get_attribute("type") == "checkbox" and first.get_attribute("value") == "grid_size", first.get_attribute("outerHTML")
            first.send_keys(Keys.SPACE)
            # A box adds its column alone: every column shown before stays.
            wait.until(lambda d: heads() == shown[:3] + ["grid_size"] + shown[3:])
            assert summary() == f"Columns ({len(shown) - 2} of {boxes})", summary()
            # Each box and the summary is a target of at least 24 px, and the boxes' words are
            # part of them (a click on "rule" ticks it).
            small = driver.execute_script(
                "return [...document.querySelectorAll('#run-columns summary, #run-columns label, #run-columns input')]"
                ".filter((e) => { const r = e.getBoundingClientRect(); return r.width < 24 || r.height < 24; }).map((e) => e.outerHTML)")
            assert not small, small
            driver.find_element(By.XPATH, "//details[@id='run-columns']//label[normalize-space()='rule']").click()
            wait.until(lambda d: heads() == shown[:3] + ["grid_size", "rule"] + shown[3:])
            # A choice is shown, kept in the URL, and comes back with it.
            for key in ticked():
                if key not in ("temporal_decay", "max_population"):
                    driver.find_element(By.CSS_SELECTOR, f"#run-columns input[value={key}]").click()
            driver.find_element(By.CSS_SELECTOR, "#run-columns input[value=max_population]").click()
            wait.until(lambda d: heads() == ["run_id", "mode", "status", "temporal_decay", "max_population"])
            assert "cols=temporal_decay%2Cmax_population" in driver.current_url or "cols=temporal_decay,max_population" in driver.current_url, driver.current_url
            shared = driver.current_url
            driver.get(url + "/#/")
            driver.get(shared)
            wait.until(lambda d: heads() == ["run_id", "mode", "status", "temporal_decay", "max_population"])
            assert ticked() == ["temporal_decay", "max_population"], ticked()
            cells = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run='r_1'] td"))
            assert len(cells) == 5, [c.text for c in cells]
            # Every column taken out is a choice the URL keeps too, not a return to the defaults.
            # (A sweep view opens with the chooser closed.)
            assert driver.find_element(By.ID, "run-columns").get_attribute("open") is None
            driver.find_element(By.CSS_SELECTOR, "#run-columns summary").click()
            for key in ticked():
                driver.find_element(By.CSS_SELECTOR, f"#run-columns input[value={key}]").click()
            wait.until(lambda d: heads() == ["run_id", "mode", "status"] and "cols=&" in d.current_url + "&")
            assert summary() == f"Columns (0 of {boxes})", summary()
            emptied = driver.current_url
            driver.get(url + "/#/")
            driver.get(emptied)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run='r_1']"))
            time.sleep(0.5)
            assert heads() == ["run_id", "mode", "status"] and ticked() == [], (heads(), ticked())

        def every_view_passes_axe_in_light_and_dark():
            source = axe_source()
            views = ["/#/", "/#/new", f"/#/sweeps/{big}", f"/#/sweeps/{state['id']}?run=morphic_1"]
            found = []
            for scheme in ["light", "dark"]:
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
                for view in views:
                    driver.get(url + view)
                    if "sweeps/" in view:
                        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]"))
                        WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "parallel").get_attribute("data-runs"))
                        # The column chooser open: its boxes and their words are checked too.
                        driver.execute_script("document.getElementById('run-columns').open = true")
                    if "run=" in view:
                        wait.until(lambda d: d.find_element(By.ID, "run-title").text.startswith("Run "))
                    time.sleep(0.5)
                    found += [f"{scheme} {view}: {v}" for v in axe_violations(driver, source)]
                driver.save_screenshot(os.path.join(artifacts, f"sweep-{scheme}.png"))
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
            assert not found, found

        def keyboard_skip_link_and_focus_on_navigation():
            driver.get(url + "/#/")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-list li"))
            driver.execute_script(f"location.hash = '#/sweeps/{big}'")
            wait.until(lambda d: d.switch_to.active_element.get_attribute("id") == "sweep-title")
            driver.execute_script("document.querySelector('.skip').focus()")
            driver.switch_to.active_element.send_keys("\ue007")  # Enter
            wait.until(lambda d: d.switch_to.active_element.get_attribute("id") == "runs-heading")
            assert f"/sweeps/{big}" in driver.current_url, driver.current_url
            # End jumps to the last of 100,000 runs, on a page not asked for yet: focus stays on
            # its row while it arrives, and Home goes back.
            # Once the charts have the swept parameters, the table's columns are settled.
            WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "parallel").get_attribute("data-runs"))
            first = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#runs tbody tr[data-run='r_1']"))
            driver.execute_script("arguments[0].focus()", first)
            driver.switch_to.active_element.send_keys("\ue010")  # End
            try:
                wait.until(lambda d: d.switch_to.active_element.get_attribute("data-run") == "r_100000")
            except Exception:
                raise AssertionError("after End, focus is on " + driver.execute_script(
                    "const a = document.activeElement; return a.tagName + ' ' + (a.dataset.run || '') + ' ' + (a.dataset.index || '')"))
            driver.switch_to.active_element.send_keys("\ue011")  # Home
            wait.until(lambda d: d.switch_to.active_element.get_attribute("data-run") == "r_1")
            small = driver.execute_script(
                "return [...document.querySelectorAll('button, select, input, a.button, a.back, nav a')].filter((e) => e.offsetParent"
                " && (e.getBoundingClientRect().height < 24 || e.getBoundingClientRect().width < 24)).map((e) => e.id || e.textContent)")
            assert not small, small

        def typed_filter_is_drawn_and_kept_by_a_brush_and_exported():
            driver.get(url + f"/#/sweeps/{big}")
            WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "parallel").get_attribute("data-runs") == "100000")
            box = driver.find_element(By.ID, "run-filter")
            box.send_keys("temporal_decay >= 0.3 and temporal_decay <= 0.6")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#parallel rect.brush[data-key='temporal_decay']"))
            wait.until(lambda d: d.find_element(By.ID, "run-count").text.startswith("40,000 of 100,000"))
            wait.until(lambda d: "40,000 finished field runs" in d.find_element(By.ID, "chart-note").text)
            for attempt in range(10):
                try:
                    hit = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#parallel .axis-hit[data-key='field_strength']"))
                    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", hit)
                    height = hit.rect["height"]
                    # From the top of the axis (1.0) down a third: the field strengths above 0.7.
                    ActionChains(driver).move_to_element_with_offset(hit, 0, int(-height / 2) + 1).click_and_hold() \
                        .move_by_offset(0, int(height * 0.36)).release().perform()
                    if "field_strength >=" in box.get_attribute("value"):
                        break
                except StaleElementReferenceException:
                    pass
                time.sleep(0.3)
            expression = box.get_attribute("value")
            assert expression.startswith("temporal_decay >= 0.3 and temporal_decay <= 0.6 and field_strength >= "), expression
            _, answer = api(url, f"/api/sweeps/{big}/runs?" + urllib.parse.urlencode({"filter": expression, "limit": 1}))
            assert 0 < answer["matched"] < 40000, (expression, answer["matched"])
            wait.until(lambda d: d.find_element(By.ID, "run-count").text.startswith(f"{answer['matched']:,} of 100,000"))
            assert len(driver.find_elements(By.CSS_SELECTOR, "#parallel rect.brush")) == 2
            assert driver.find_element(By.ID, "parallel").get_attribute("data-selected") == str(answer["matched"])
            assert "filter=" in driver.current_url, driver.current_url
            # "Runs as CSV" exports exactly the filter's runs.
            href = driver.find_element(By.ID, "csv-link").get_attribute("href")
            with urllib.request.urlopen(href, timeout=60) as response:
                lines = response.read().decode().strip().split("\n")
            assert len(lines) == answer["matched"] + 1, (len(lines), answer["matched"])
            header = lines[0].split(",")
            values = [float(line.split(",")[header.index("temporal_decay")]) for line in lines[1:]]
            assert min(values) >= 0.3 and max(values) <= 0.6, (min(values), max(values))

        def modules_are_served_as_javascript_and_revalidated():
            # Every module the page imports, found from the entry point: each is JavaScript with
            # an entity tag, and asking again with it costs a 304.
            seen, todo = set(), ["/js/main.js"]
            while todo:
                path = todo.pop()
                if path in seen:
                    continue
                seen.add(path)
                with urllib.request.urlopen(url + path, timeout=30) as response:
                    assert response.headers["Content-Type"].startswith("text/javascript"), (path, response.headers["Content-Type"])
                    tag = response.headers["ETag"]
                    source = response.read().decode()
                assert tag, path
                request = urllib.request.Request(url + path, headers={"If-None-Match": tag})
                try:
                    urllib.request.urlopen(request, timeout=30)
                    raise AssertionError(f"{path}: no 304 for its own entity tag")
                except urllib.error.HTTPError as error:
                    assert error.code == 304, (path, error.code)
                for imported in re.findall(r'^import .* from "(.*)";$', source, re.M):
                    todo.append(urllib.parse.urljoin(path, imported))
            assert {"/js/main.js", "/js/api.js", "/js/table.js", "/js/parallel.js", "/inference.js"} <= seen, seen
            console_errors(driver)
            driver.get(url + f"/#/sweeps/{big}")
            WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "parallel").get_attribute("data-runs"))
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#importance tr[data-parameter]"))
            assert not console_errors(driver)

        def chart_points_say_their_values_and_boxes_are_the_api_quantiles():
            driver.get(url + f"/#/sweeps/{big}")
            WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-chart path.box"))
            y, x, by = (driver.find_element(By.ID, i).get_attribute("value") for i in ("chart-y", "chart-x", "chart-series"))
            _, answer = api(url, f"/api/sweeps/{big}/aggregate?" + urllib.parse.urlencode({"y": y, "x": x, "by": by, "filter": "mode != classical"}))
            expected = {(s, p["x"]): p for s, series in enumerate(answer["series"]) for p in series["points"]}
            boxes = driver.execute_script("return [...document.querySelectorAll('#sweep-chart path.box')].map((b) => [b.getAttribute('data-x'), b.getAttribute('data-quantiles')])")
            assert len(boxes) == len(expected) > 0, (len(boxes), len(expected))
            drawn = sorted((float(bx), tuple(float(q) for q in qs.split())) for bx, qs in boxes)
            assert drawn == sorted((p["x"], tuple(p["quantiles"])) for p in expected.values()), drawn[:3]
            # By keyboard: focus on the chart shows its first point; End its last.
            surface = driver.find_element(By.CSS_SELECTOR, "#sweep-chart svg")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus()", surface)
            tip = driver.find_element(By.CSS_SELECTOR, "#sweep-chart .tooltip")
            wait.until(lambda d: tip.is_displayed())
            for key, point in [(None, answer["series"][0]["points"][0]), ("\ue010", answer["series"][-1]["points"][-1])]:
                if key:
                    ActionChains(driver).send_keys(key).perform()
                text = tip.text
                assert close(numbers_after(text, "mean " + y.replace("_", " ")), point["mean"]), (text, point)
                assert f"{point['n']:,} runs" in text and close(numbers_after(text, "median"), point["quantiles"][2]), (text, point)
                assert close(numbers_after(text, x.replace("_", " ")), point["x"]), (text, point)
            # The rotated axis label stands clear of the longest tick label beside it (the smoke
            # sweep's influence rates are labelled 0.0175 and the like).
            driver.get(url + f"/#/sweeps/{state['id']}?y=avg_influence_rate&x=field_strength&by=none")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-chart svg circle:not(.cursor)"))
            overlap = driver.execute_script(
                "const svg = document.querySelector('#sweep-chart svg');"
                " const texts = [...svg.querySelectorAll('text')];"
                " const axis = texts.find((t) => t.getAttribute('transform'));"
                " const right = axis.getBoundingClientRect().right;"
                " return texts.filter((t) => t.getAttribute('text-anchor') === 'end' && t.getBoundingClientRect().left < right).map((t) => t.textContent)")
            assert overlap == [], overlap
            # By pointer, on the three-run sweep's one line: each marker says its own point.
            driver.get(url + f"/#/sweeps/{state['id']}?y=avg_population&x=field_strength&by=none")
            markers = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-chart svg circle:not(.cursor)"))
            _, small = api(url, f"/api/sweeps/{state['id']}/aggregate?y=avg_population&x=field_strength&filter=mode%20!%3D%20classical")
            points = small["series"][0]["points"]
            assert len(markers) == len(points) == 3, (len(markers), points)
            for marker, point in zip(markers, points):
                ActionChains(driver).move_to_element(marker).perform()
                tip = driver.find_element(By.CSS_SELECTOR, "#sweep-chart .tooltip")
                wait.until(lambda d: tip.is_displayed() and close(numbers_after(tip.text, "field strength"), point["x"]))
                assert close(numbers_after(tip.text, "mean avg population"), point["mean"]), (tip.text, point)
            driver.save_screenshot(os.path.join(artifacts, "chart-tooltip.png"))

        def parallel_plot_says_a_runs_values_and_opens_it():
            driver.get(url + f"/#/sweeps/{state['id']}")
            wait.until(lambda d: d.find_element(By.ID, "parallel").get_attribute("data-runs") == "3")
            axes = driver.execute_script("return morphic.parallel.axes")
            _, columns = api(url, f"/api/sweeps/{state['id']}/columns?" + urllib.parse.urlencode({"fields": ",".join(axes), "filter": "mode != classical"}))
            _, listing = api(url, f"/api/sweeps/{state['id']}/runs?" + urllib.parse.urlencode({"filter": "mode != classical and status = completed"}))
            ids = [run["run_id"] for run in listing["runs"]]
            tip = driver.find_element(By.ID, "parallel-tip")

            def says(run):
                text = tip.text
                return all(close(numbers_after(text, key.replace("_", " ")), columns["columns"][key][run]) for key in axes)

            # By keyboard: focus shows the first run, an arrow the next, Enter opens it.
            canvas = driver.find_element(By.CSS_SELECTOR, "#parallel canvas")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus()", canvas)
            wait.until(lambda d: tip.is_displayed() and says(0))
            ActionChains(driver).send_keys("\ue014").perform()  # ArrowRight
            wait.until(lambda d: d.find_element(By.ID, "parallel").get_attribute("data-shown") == "1" and says(1))
            ActionChains(driver).send_keys("\ue007").perform()  # Enter
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {ids[1]}")
            # By pointer: a quarter of the way from the first axis to the second, on the last run's
            # line (halfway, lines that cross the plot cross each other).
            driver.execute_script("document.getElementById('parallel').scrollIntoView({block: 'center'})")
            svg = driver.find_element(By.CSS_SELECTOR, "#parallel svg")
            px, py, width, height = driver.execute_script(
                "const p = morphic.parallel, d = p.drawn, s = document.querySelector('#parallel svg').getBoundingClientRect();"
                "return [(3 * d.x(0) + d.x(1)) / 4 * s.width / 720, (3 * d.yOf(0, 2) + d.yOf(1, 2)) / 4 * s.height / 240, s.width, s.height]")
            ActionChains(driver).move_to_element_with_offset(svg, int(px - width / 2), int(py - height / 2)).perform()
            wait.until(lambda d: d.find_element(By.ID, "parallel").get_attribute("data-shown") == "2" and says(2))
            driver.save_screenshot(os.path.join(artifacts, "parallel-tooltip.png"))
            ActionChains(driver).click().perform()
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {ids[2]}")
            assert "run=" + ids[2] in driver.current_url, driver.current_url

        def importance_matches_its_definition_and_sums_sensibly():
            # A statistic that varies over the fixture's tiny runs (their influence is all zero).
            y = "avg_population"
            driver.get(url + f"/#/sweeps/{big}?y={y}")
            WebDriverWait(driver, 240, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "importance").get_attribute("data-y") == y)
            rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#importance tr[data-parameter]"))
            # The page asks the API as it stands, with no filter of its own, and shows what it says.
            _, answer = api(url, f"/api/sweeps/{big}/importance?" + urllib.parse.urlencode({"y": y}))
            assert answer["method"] == "eta_squared" and answer["matched"] == answer["total"] == 100000, answer
            shown = {row.get_attribute("data-parameter"): (float(row.get_attribute("data-explained")), int(row.get_attribute("data-runs"))) for row in rows}
            assert shown == {p["name"]: (p["explained"], p["runs"]) for p in answer["parameters"]}, (shown, answer)
            assert set(shown) == {"field_strength", "temporal_decay"}, shown
            # The server's shares are η² as defined, each over the runs where its parameter acts
            # (here every run: all are morphic with crystals and a field), from the runs' own columns.
            for p in answer["parameters"]:
                assert p["acts_where"] and p["runs"] == 100000 and p["reason"] is None, p
                _, columns = api(url, f"/api/sweeps/{big}/columns?" + urllib.parse.urlencode({"fields": f"{y},{p['name']}", "filter": p["acts_where"]}))
                assert columns["matched"] == p["runs"], (columns["matched"], p)
                exact = eta_squared(columns["columns"][y], columns["columns"][p["name"]])
                # The columns are at float precision; the server's sums are over the full numbers.
                assert abs(p["explained"] - exact) < 1e-4, (p, exact)
                assert 0 <= p["explained"] <= 1, p
            # A full grid: the main effects are orthogonal and share at most the whole.
            total = sum(p["explained"] for p in answer["parameters"])
            assert 0 < total <= 1 + 1e-9, total
            explained = [p["explained"] for p in answer["parameters"]]
            assert explained == sorted(explained, reverse=True), explained
            # Another statistic, another answer; the filter narrows it as it narrows the chart. A
            # parameter the filter holds at one value has no share to give: undefined, not 0 %.
            Select(driver.find_element(By.ID, "chart-y")).select_by_value("final_population")
            wait.until(lambda d: d.find_element(By.ID, "importance").get_attribute("data-y") == "final_population")
            box = driver.find_element(By.ID, "run-filter")
            box.send_keys("temporal_decay = 0.5")
            wait.until(lambda d: f"over the {answer['total'] // 10:,} finished runs matching" in d.find_element(By.CSS_SELECTOR, "#importance caption").text)
            rows = driver.find_elements(By.CSS_SELECTOR, "#importance tr[data-parameter]")
            held = next(row for row in rows if row.get_attribute("data-parameter") == "temporal_decay")
            assert held.get_attribute("data-explained") == "" and "takes one value" in held.text, held.text
            assert float(rows[0].get_attribute("data-explained")) > 0, rows[0].text
            # A statistic that does not vary over the runs: every share undefined, said so.
            Select(driver.find_element(By.ID, "chart-y")).select_by_value("max_influence_rate")
            wait.until(lambda d: d.find_element(By.ID, "importance").get_attribute("data-y") == "max_influence_rate")
            rows = driver.find_elements(By.CSS_SELECTOR, "#importance tr[data-parameter]")
            assert rows and all(row.get_attribute("data-explained") == "" and "is the same in all" in row.text for row in rows), [r.text for r in rows]
            Select(driver.find_element(By.ID, "chart-y")).select_by_value("final_population")
            wait.until(lambda d: d.find_element(By.ID, "importance").get_attribute("data-y") == "final_population")
            driver.find_element(By.ID, "importance").screenshot(os.path.join(artifacts, "importance.png"))

        def many_runs_keep_the_page_small():
            body = json.dumps({"name": "many", "defaults": {"grid_size": 3, "generations": 1},
                               "groups": [{"prefix": "r", "mode": "classical", "replicates": 3000}]}).encode()
            status, sweep = api(url, "/api/sweeps", "POST", body)
            assert status == 202, status
            state["many"] = sweep["id"]
            deadline = time.time() + 240
            while api(url, "/api/sweeps/" + sweep["id"])[1]["status"] != "completed" and time.time() < deadline:
                time.sleep(1)
            driver.get(url + "/#/sweeps/" + sweep["id"])
            WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "run-count").text.startswith("3,000 of 3,000"))
            rows = len(driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]"))
            elements = driver.execute_script("return document.getElementsByTagName('*').length")
            assert rows < 100 and elements < 3000, (rows, elements)
            driver.execute_script("const w = document.querySelector('.table-wrap'); w.scrollTop = w.scrollHeight")
            WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run='r_3000']"))
            # Keyboard: Home goes back to the first run.
            driver.execute_script("document.querySelector(\"#runs tbody tr[data-run='r_3000']\").focus()")
            WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: d.switch_to.active_element.get_attribute("data-run") == "r_3000")
            driver.switch_to.active_element.send_keys("\ue011")  # Home
            try:
                WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: d.switch_to.active_element.get_attribute("data-run") == "r_1")
            except Exception:
                active = driver.execute_script("const a = document.activeElement; return a.tagName + ' ' + (a.dataset.run || '') + ' ' + (a.dataset.index || '')")
                raise AssertionError("focus is on " + active)

        def idle_list_asks_rarely():
            driver.get(url + "/#/")
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sweep-list li")) >= 3)
            driver.execute_script("performance.clearResourceTimings()")
            time.sleep(10)
            asked = driver.execute_script(
                "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/api/sweeps')).length")
            assert asked <= 2, asked

        def hidden_tab_asks_nothing_and_catches_up_when_shown():
            # A sweep that runs for a while, so the visible page would poll every second.
            body = json.dumps({"name": "slow", "defaults": {"grid_size": 96, "generations": 4000},
                               "groups": [{"prefix": "s", "replicates": 2}]}).encode()
            status, sweep = api(url, "/api/sweeps", "POST", body)
            assert status == 202, status
            driver.get(url + "/#/sweeps/" + sweep["id"])
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#sweep-status .status").text in ("queued", "running"))
            driver.execute_script("""
                Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
                document.dispatchEvent(new Event('visibilitychange'));""")
            time.sleep(1.5)
            driver.execute_script("performance.clearResourceTimings()")
            time.sleep(5)
            asked = driver.execute_script("return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).length")
            assert asked == 0, asked
            driver.execute_script("""
                Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
                document.dispatchEvent(new Event('visibilitychange'));""")
            time.sleep(2)
            asked = driver.execute_script("return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/sweeps/" + sweep["id"] + "')).length")
            assert asked >= 1, asked
            api(url, "/api/sweeps/" + sweep["id"] + "/cancel", "POST", b"")

        def leaving_a_view_mid_poll_freezes_nothing():
            driver.get(url + "/#/sweeps/" + state["id"])
            driver.execute_script("location.hash = '#/'")
            body = json.dumps({"name": "late", "defaults": {"grid_size": 5, "generations": 2},
                               "groups": [{"prefix": "l", "mode": "classical"}]}).encode()
            assert api(url, "/api/sweeps", "POST", body)[0] == 202
            # The list is read in one call: it is drawn anew as it polls, which would leave a
            # reference to an item taken before the redraw stale.
            WebDriverWait(driver, 15, ignored_exceptions=REDRAWN).until(
                lambda d: "late" in d.execute_script("return document.getElementById('sweep-list').textContent"))

        def missing_sweep_is_said_plainly():
            driver.get(url + "/#/sweeps/no-such-sweep-0000")
            wait.until(lambda d: d.find_element(By.ID, "view-missing").is_displayed())
            assert not driver.find_element(By.ID, "view-sweep").is_displayed()
            # Focus moves to its heading, as in every other view, not left on the page's body.
            assert driver.execute_script("return document.activeElement.id") == "missing-heading"
            # One request finds it missing; nothing else of it is asked (each a 404 in the console).
            missing = [e for e in console_errors(driver) if "no-such-sweep-0000" in e]
            assert len(missing) == 1, missing
            # Straight from another view, too (the heading focused first is the sweep view's).
            driver.get(url + "/#/")
            wait.until(lambda d: d.find_element(By.ID, "view-sweeps").is_displayed())
            driver.execute_script("location.hash = '#/sweeps/no-such-sweep-0001'")
            wait.until(lambda d: d.find_element(By.ID, "view-missing").is_displayed())
            wait.until(lambda d: d.execute_script("return document.activeElement.id") == "missing-heading")

        def delete_asks_and_removes_the_sweep():
            driver.get(url + "/#/sweeps/" + state["many"])
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#sweep-status .status").text == "completed")
            driver.find_element(By.ID, "delete").click()
            WebDriverWait(driver, 5, ignored_exceptions=REDRAWN).until(lambda d: d.switch_to.alert).accept()
            wait.until(lambda d: d.current_url.endswith("#/"))
            assert api(url, "/api/sweeps/" + state["many"])[0] == 404
            # What was done is said in the list the page went back to, and stays said.
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-list li"))
            time.sleep(1.5)
            assert driver.find_element(By.ID, "notice").text == "Deleted.", driver.find_element(By.ID, "notice").text

        def refused_group_is_explained_without_a_page_error():
            # An error whose field has no control of its own ("groups[1]": too many runs) is
            # said under the definition, and the page throws nothing looking for its control.
            console_errors(driver)
            driver.get(url + "/#/new")
            field = wait.until(lambda d: d.find_element(By.ID, "f-replicates"))
            field.clear()
            field.send_keys("100000")
            driver.find_element(By.ID, "submit").click()
            wait.until(lambda d: d.find_element(By.ID, "definition-error").text)
            errors = [e for e in console_errors(driver) if "SyntaxError" in e or "Uncaught" in e]
            assert not errors, errors

        def parameter_space_from_a_link_to_every_statistic_draws():
            # More axes than one columns request takes: asked in parts, and drawn.
            driver.get(url + "/#/sweeps/" + big)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#parallel-stats option"))
            names = driver.execute_script("return [...document.querySelectorAll('#parallel-stats option')].map((o) => o.value)")
            # With the swept parameters' axes, more than 16.
            assert len(names) >= 15, names
            driver.get(url + "/#/sweeps/" + big + "?stats=" + ",".join(names))
            driver.refresh()
            wait.until(lambda d: d.find_element(By.ID, "parallel-note").text.startswith("All "))
            drawn = driver.execute_script("return [...document.querySelectorAll('#parallel svg text')].map((t) => t.textContent)")
            assert all(any(name.replace("_", " ") == text for text in drawn) for name in names), (names, drawn)
            # Every name and value is inside the drawing, and no two overlap.
            boxes = driver.execute_script("""
                const figure = document.querySelector('#parallel').getBoundingClientRect();
                return [[figure.left, figure.top, figure.right, figure.bottom],
                        [...document.querySelectorAll('#parallel svg text')].map((t) => {
                          const box = t.getBoundingClientRect();
                          return [t.textContent, box.left, box.top, box.right, box.bottom];
                        })];""")
            (left, top, right, bottom), texts = boxes
            for text, x0, y0, x1, y1 in texts:
                assert x0 >= left - 0.5 and x1 <= right + 0.5 and y0 >= top - 0.5 and y1 <= bottom + 0.5, (text, x0, x1, left, right)
            for i, (a, ax0, ay0, ax1, ay1) in enumerate(texts):
                for b, bx0, by0, bx1, by1 in texts[i + 1:]:
                    assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, (a, b)

        def resubmitted_definition_and_unknown_address_say_so():
            # The first test's definition again: its sweep is shown, and that it was there.
            fill_smoke_form()
            driver.find_element(By.ID, "submit").click()
            wait.until(lambda d: d.current_url.endswith("#/sweeps/" + state["id"]))
            wait.until(lambda d: "submitted before" in d.find_element(By.ID, "notice").text)
            driver.execute_script("location.hash = '#/nonsense'")
            wait.until(lambda d: d.find_element(By.ID, "view-sweeps").is_displayed())
            wait.until(lambda d: "There is no page at #/nonsense" in d.find_element(By.ID, "notice").text)

        def link_with_a_sort_by_no_column_shows_the_runs_and_says_so():
            driver.get(url + "/#/sweeps/" + big + "?sort=nosuch")
            driver.refresh()
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]"))
            wait.until(lambda d: "sort is not used" in d.find_element(By.ID, "notice").text)
            assert "sort=" not in driver.current_url, driver.current_url
            assert driver.find_element(By.ID, "run-count").text.endswith("of 100,000 runs"), driver.find_element(By.ID, "run-count").text

        def submitted(definition):
            """The id of `definition`'s sweep, submitted over the API."""
            status, answer = api(url, "/api/sweeps", "POST", json.dumps(definition).encode())
            assert status in (200, 201, 202), status
            return answer["id"]

        def cancel_and_retry_say_what_came_of_them():
            sweep = submitted({"name": "long-notice", "defaults": {"grid_size": 64, "generations": 4000},
                               "groups": [{"prefix": "l", "replicates": 40}]})
            driver.get(url + "/#/sweeps/" + sweep)
            wait.until(lambda d: d.find_element(By.ID, "cancel").is_enabled())
            driver.find_element(By.ID, "cancel").click()
            WebDriverWait(driver, 5, ignored_exceptions=REDRAWN).until(lambda d: d.switch_to.alert).accept()
            wait.until(lambda d: d.find_element(By.ID, "notice").text.startswith("Cancelled"))
            time.sleep(1.5)
            assert driver.find_element(By.ID, "notice").text.startswith("Cancelled"), driver.find_element(By.ID, "notice").text
            wait.until(lambda d: d.find_element(By.ID, "retry").is_enabled())
            driver.find_element(By.ID, "retry").click()
            wait.until(lambda d: d.find_element(By.ID, "notice").text.startswith("Queued again"))
            time.sleep(1.5)
            assert driver.find_element(By.ID, "notice").text.startswith("Queued again"), driver.find_element(By.ID, "notice").text
            api(url, f"/api/sweeps/{sweep}/cancel", "POST")
            deadline = time.time() + 60
            while api(url, f"/api/sweeps/{sweep}")[1]["status"] != "cancelled" and time.time() < deadline:
                time.sleep(0.2)
            # Its runs may still be stopping for a moment after the cancel (409 says so).
            while (deleted := api(url, f"/api/sweeps/{sweep}", "DELETE")[0]) == 409 and time.time() < deadline:
                time.sleep(0.2)
            assert deleted == 204, deleted

        def completed_sweep_with_a_damaged_record_is_retried_from_the_page():
            sweep = submitted({"name": "damaged", "defaults": {"grid_size": 8, "generations": 5},
                               "groups": [{"prefix": "d", "replicates": 1}]})
            deadline = time.time() + 60
            while api(url, f"/api/sweeps/{sweep}")[1]["status"] != "completed" and time.time() < deadline:
                time.sleep(0.2)
            # The record's bytes flipped in the middle of its pack: the run is said to be damaged.
            records = os.path.join(data, "sweeps", sweep, "records")
            [pack] = [os.path.join(records, name) for name in os.listdir(records) if name.endswith(".pack")]
            with open(pack, "r+b") as file:
                bytes_ = bytearray(file.read())
                bytes_[len(bytes_) // 2] ^= 0xFF
                file.seek(0)
                file.write(bytes_)
            driver.get(url + "/#/sweeps/" + sweep)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run='d_1']"))
            driver.find_element(By.CSS_SELECTOR, "#runs tbody tr[data-run='d_1']").click()
            wait.until(lambda d: "retry" in d.find_element(By.ID, "notice").text)
            retry = driver.find_element(By.ID, "retry")
            assert retry.is_enabled() and retry.text == "Check records and retry", retry.text
            retry.click()
            wait.until(lambda d: "records are missing or damaged on disk will be computed again" in d.find_element(By.ID, "notice").text)
            # Its notice goes once the sweep it started has ended; the run is then served.
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#sweep-status .status").text == "completed"
                       and d.find_element(By.ID, "notice").text == "")
            assert api(url, f"/api/sweeps/{sweep}/runs/d_1")[0] == 200
            driver.find_element(By.ID, "retry").click()
            wait.until(lambda d: "nothing to retry" in d.find_element(By.ID, "notice").text)
            assert api(url, f"/api/sweeps/{sweep}")[1]["status"] == "completed"
            assert api(url, f"/api/sweeps/{sweep}", "DELETE")[0] == 204

        def sweep_list_pages_past_its_newest_hundred():
            total = api(url, "/api/sweeps?limit=1")[1]["total"]
            for index in range(max(0, 101 - total)):
                body = json.dumps({"name": f"page-{index}", "defaults": {"grid_size": 4, "generations": 1},
                                   "groups": [{"prefix": "p", "replicates": 1}]}).encode()
                status = 429
                while status == 429:
                    status = api(url, "/api/sweeps", "POST", body)[0]
                    if status == 429:
                        time.sleep(0.5)
                assert status in (200, 201, 202), status
            total = api(url, "/api/sweeps?limit=1")[1]["total"]
            driver.get(url + "/#/")
            wait.until(lambda d: d.find_element(By.ID, "sweep-total").text.startswith(f"Sweeps 1–100 of {total:,}"))
            driver.find_element(By.LINK_TEXT, "Older").click()
            wait.until(lambda d: d.find_element(By.ID, "sweep-total").text.startswith(f"Sweeps 101–{total:,} of {total:,}"))
            assert len(driver.find_elements(By.CSS_SELECTOR, "#sweep-list li")) == total - 100
            driver.find_element(By.LINK_TEXT, "Newer").click()
            wait.until(lambda d: d.find_element(By.ID, "sweep-total").text.startswith("Sweeps 1–100"))

        def hung_server_is_shown_and_a_filter_typed_while_down_is_applied():
            nonlocal server
            port = int(url.rsplit(":", 1)[1])
            driver.get(url + "/#/sweeps/" + big)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]"))
            # A server that hangs (stopped, not gone): the banner within some 20 s, gone once it answers.
            server.send_signal(signal.SIGSTOP)
            try:
                WebDriverWait(driver, 40, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "outage").is_displayed())
            finally:
                server.send_signal(signal.SIGCONT)
            WebDriverWait(driver, 40, ignored_exceptions=REDRAWN).until(lambda d: not d.find_element(By.ID, "outage").is_displayed())
            # A filter typed while the server is gone is said not to be applied yet, and is
            # applied once it is back.
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=15)
            box = driver.find_element(By.ID, "run-filter")
            box.clear()
            box.send_keys("field_strength >= 0.9")
            WebDriverWait(driver, 20, ignored_exceptions=REDRAWN).until(
                lambda d: "Not applied yet" in d.find_element(By.ID, "filter-error").text)
            server, _ = start_server(binary, data, port)
            WebDriverWait(driver, 60, ignored_exceptions=REDRAWN).until(
                lambda d: "filter=" in d.current_url and not d.find_element(By.ID, "filter-error").text)
            matched = api(url, f"/api/sweeps/{big}/runs?limit=1&filter=" + urllib.parse.quote("field_strength >= 0.9"))[1]["matched"]
            wait.until(lambda d: d.find_element(By.ID, "run-count").text.startswith(f"{matched:,} of"))

        def outage_is_shown_and_clears():
            nonlocal server
            port = int(url.rsplit(":", 1)[1])
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=15)
            driver.execute_script("location.hash = '#/new'; location.hash = '#/'")
            WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "outage").is_displayed())
            driver.save_screenshot(os.path.join(artifacts, "outage.png"))
            log = os.path.join(artifacts, "restarted-server.log")
            server, _ = start_server(binary, data, port, log=log)
            try:
                WebDriverWait(driver, 40, ignored_exceptions=REDRAWN).until(
                    lambda d: not d.find_element(By.ID, "outage").is_displayed())
            except Exception:
                # Whether the server answers at all, and what it logged, so that a failure says
                # which side kept the banner up.
                try:
                    health = api(url, "/healthz", timeout=5)[0]
                except Exception as error:  # noqa: BLE001
                    health = repr(error)
                with open(log) as file:
                    tail = file.read()[-2000:]
                raise AssertionError(f"the banner stayed 40 s; /healthz from here: {health}; "
                                     f"the server alive: {server.poll() is None}; its log's end:\n{tail}")

        for test in [submit_smoke_sweep_through_the_form, progress_bar_reaches_100_percent,
                     run_chart_has_one_point_per_generation, replay_plays_to_the_end_pauses_and_scrubs,
                     shared_url_restores_the_view_and_checks_show, brushing_filters_the_table_as_the_api_does,
                     compare_overlays_runs_and_lists_what_differs,
                     archive_downloads_through_the_link,
                     sweep_list_shows_the_finished_sweep,
                     replay_of_a_512_grid_draws_every_frame, refused_definition_is_explained_next_to_its_field,
                     sampled_form_counts_runs_and_submits_a_sample,
                     narrow_screen_keeps_every_control_reachable, filter_box_asks_the_server_and_repaints,
                     hundred_thousand_runs_open_cold_quickly_and_stay_small,
                     hundred_thousand_runs_meet_the_goals_in_light_and_dark,
                     every_view_covers_every_run_and_the_whole_range, column_chooser_shows_the_swept_parameters,
                     every_view_passes_axe_in_light_and_dark,
                     keyboard_skip_link_and_focus_on_navigation, typed_filter_is_drawn_and_kept_by_a_brush_and_exported,
                     modules_are_served_as_javascript_and_revalidated, chart_points_say_their_values_and_boxes_are_the_api_quantiles,
                     parallel_plot_says_a_runs_values_and_opens_it, importance_matches_its_definition_and_sums_sensibly,
                     many_runs_keep_the_page_small, idle_list_asks_rarely,
                     hidden_tab_asks_nothing_and_catches_up_when_shown, leaving_a_view_mid_poll_freezes_nothing,
                     missing_sweep_is_said_plainly, delete_asks_and_removes_the_sweep,
                     refused_group_is_explained_without_a_page_error, parameter_space_from_a_link_to_every_statistic_draws,
                     resubmitted_definition_and_unknown_address_say_so, link_with_a_sort_by_no_column_shows_the_runs_and_says_so,
                     cancel_and_retry_say_what_came_of_them, completed_sweep_with_a_damaged_record_is_retried_from_the_page,
                     sweep_list_pages_past_its_newest_hundred,
                     hung_server_is_shown_and_a_filter_typed_while_down_is_applied, outage_is_shown_and_clears]:
            if len(sys.argv) > 3 and test.__name__ not in sys.argv[3:]:
                continue
            check(test.__name__, test)
    finally:
        if driver:
            driver.quit()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)
    passed = sum(1 for _, ok in results if ok)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
