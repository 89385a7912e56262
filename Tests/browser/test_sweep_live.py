#!/usr/bin/env python3
"""Browser test of a sweep's view as it lives: a real headless Chromium against a real server.

    python3 Tests/browser/test_sweep_live.py MORPHIC_BINARY ARTIFACT_FOLDER

While a sweep runs, its chart, parameter space and heatmap follow its runs as they finish; a
filter the server refuses changes nothing but the error (URL, CSV link and every view keep the
last filter accepted) and is asked once; the "Runs as CSV" link follows the table's sort at
once; opening a run is a history entry, so Back closes it and stays on the sweep; a sweep
deleted while its view is open is said to be gone; the outage banner comes within seconds of
the server going away on a finished sweep's view and goes, with the view drawn again, within
seconds of its return, without a click (also on a view that asks nothing itself). Screenshots
go to ARTIFACT_FOLDER. Ends with 'N passed, N failed'.
"""
import json, os, re, shutil, signal, sys, tempfile, time, urllib.parse, urllib.request
from datetime import datetime

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_view import REDRAWN, Checks, api, browser, console_errors, start_server  # noqa: E402

FINISHED = {"name": "live-finished", "seed": 5, "defaults": {"grid_size": 10, "generations": 20, "crystal_count": 3},
            "groups": [{"prefix": "control", "mode": "classical", "replicates": 4},
                       {"prefix": "morphic", "mode": "morphic", "replicates": 3,
                        "grid": {"field_strength": [0.2, 0.5, 0.8], "temporal_decay": [0.1, 0.3]}}]}
# Its 48 runs take at least 300 generations; slow_sweep() lengthens them to last a given time.
PROBE_GENERATIONS = 1500

SLOW = {"name": "live-slow", "seed": 6, "defaults": {"grid_size": 96, "generations": 300, "crystal_count": 3},
        "groups": [{"prefix": "m", "mode": "morphic", "replicates": 6,
                    "grid": {"field_strength": [0.2, 0.4, 0.6, 0.8], "temporal_decay": [0.1, 0.3]}}]}
DOOMED = {"name": "live-doomed", "defaults": {"grid_size": 8, "generations": 10},
          "groups": [{"prefix": "d", "mode": "morphic", "replicates": 3}]}


def submit(url, definition, wait=True):
    status, sweep = api(url, "/api/sweeps", "POST", json.dumps(definition).encode())
    assert status == 202, (status, sweep)
    deadline = time.time() + 180
    while wait and api(url, "/api/sweeps/" + sweep["id"])[1]["status"] != "completed":
        assert time.time() < deadline, definition["name"] + " did not finish"
        time.sleep(0.5)
    return sweep["id"]


def probe_seconds(url):
    """Seconds two morphic runs of SLOW's grid and 1,500 generations take together on this server."""
    probe = {**SLOW, "name": "live-probe", "defaults": {**SLOW["defaults"], "generations": PROBE_GENERATIONS},
             "groups": [{"prefix": "p", "mode": "morphic", "replicates": 2}]}
    _, timed = api(url, "/api/sweeps/" + submit(url, probe))
    return (datetime.fromisoformat(timed["finished_at"].replace("Z", "+00:00")) -
            datetime.fromisoformat(timed["started_at"].replace("Z", "+00:00"))).total_seconds()


def slow_sweep(probed, seconds):
    """SLOW, its generations scaled from the probe so that its 48 runs on two workers last about
    `seconds`: a release build finishes the unscaled sweep in about 4 s, too soon for the chart
    to be drawn again between its first and its last runs."""
    generations = max(300, min(40000, round(PROBE_GENERATIONS * seconds / (24 * max(probed, 0.01)))))
    print(f"two runs of {PROBE_GENERATIONS} generations took {probed:.2f} s: the slow sweep's runs take {generations}", flush=True)
    return {**SLOW, "name": f"live-slow-{seconds}s", "defaults": {**SLOW["defaults"], "generations": generations}}


def main():
    binary, artifacts = sys.argv[1], sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)
    data = tempfile.mkdtemp(prefix="morphic-live-page-")
    server, url = start_server(binary, data)
    driver = browser(artifacts)
    wait = WebDriverWait(driver, 30, ignored_exceptions=REDRAWN)
    check = Checks(driver, artifacts, "live")

    def text(element_id):
        # The page replaces a view's elements when it draws it again: one found just before
        # may be gone when asked for its text, and the new one is read instead.
        for attempt in range(10):
            try:
                return driver.find_element(By.ID, element_id).get_attribute("textContent")
            except StaleElementReferenceException:
                if attempt == 9:
                    raise

    def open_view(sweep_id, query=""):
        driver.get(url + f"/#/sweeps/{sweep_id}" + query)
        WebDriverWait(driver, 60, ignored_exceptions=REDRAWN).until(lambda d: re.match(r"All \d+ finished", d.find_element(By.ID, "chart-note").get_attribute("textContent")))
        try:
            wait.until(lambda d: "finished field runs" in d.find_element(By.ID, "heat-note").get_attribute("textContent"))
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#importance caption"))
        except Exception:
            raise AssertionError((text("heat-note"), text("importance"), driver.current_url))

    def typed(expression):
        box = driver.find_element(By.ID, "run-filter")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(expression)

    try:
        finished = submit(url, FINISHED)

        def charts_follow_a_running_sweep():
            probed = probe_seconds(url)
            # The view draws its charts again at most every 3 s, or three times as long as the
            # last drawing took; on a machine busier than when it was probed, a 20 s sweep can
            # end after one drawing. Then a sweep three times as long is watched.
            for seconds in (20, 60):
                slow = submit(url, slow_sweep(probed, seconds), wait=False)
                driver.get(url + f"/#/sweeps/{slow}")
                seen, runs_seen = set(), set()
                deadline = time.time() + 10 * seconds
                while True:
                    assert time.time() < deadline, "the slow sweep did not finish"
                    _, sweep = api(url, "/api/sweeps/" + slow)
                    note = text("chart-note")
                    match = re.match(r"All (\d+) finished field runs", note)
                    if sweep["status"] == "running" and match:
                        seen.add(int(match.group(1)))
                        runs_seen.add(driver.find_element(By.ID, "parallel").get_attribute("data-runs"))
                    if sweep["status"] not in ("queued", "running"):
                        break
                    time.sleep(0.5)
                assert sweep["status"] == "completed", sweep["status"]
                total = sweep["progress"]["runs_total"]
                between = [n for n in seen if 0 < n < total]
                if len(between) >= 2:
                    break
                print(f"a sweep of about {seconds} s was drawn with {sorted(seen)} of {total} runs finished", flush=True)
            # Drawn again as runs finished, not only when the sweep started and ended.
            assert len(between) >= 2, (sorted(seen), total)
            assert len(runs_seen - {None}) >= 2, runs_seen
            # And once more when it completed: every run.
            WebDriverWait(driver, 30, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "chart-note").get_attribute("textContent").startswith(f"All {total} finished"))
            WebDriverWait(driver, 30, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "parallel").get_attribute("data-runs") == str(total))
            WebDriverWait(driver, 30, ignored_exceptions=REDRAWN).until(lambda d: f"{total} finished field runs" in d.find_element(By.ID, "heat-note").get_attribute("textContent"))

        def invalid_filter_changes_nothing_but_the_error():
            open_view(finished)
            valid = "mode = morphic and field_strength >= 0.5"
            _, answer = api(url, f"/api/sweeps/{finished}/runs?" + urllib.parse.urlencode({"filter": valid, "limit": 1}))
            typed(valid)
            wait.until(lambda d: d.find_element(By.ID, "run-count").get_attribute("textContent").startswith(f"{answer['matched']} of"))
            wait.until(lambda d: d.find_element(By.ID, "chart-note").get_attribute("textContent").startswith(f"All {answer['matched']} finished"))
            wait.until(lambda d: f"{answer['matched']} finished field runs" in d.find_element(By.ID, "heat-note").get_attribute("textContent"))
            wait.until(lambda d: f"over the {answer['matched']} finished runs" in d.find_element(By.CSS_SELECTOR, "#importance caption").get_attribute("textContent"))
            time.sleep(0.5)

            def shown():
                return {"url": driver.current_url, "csv": driver.find_element(By.ID, "csv-link").get_attribute("href"),
                        "count": text("run-count"), "chart": text("chart-note"), "heat": text("heat-note"),
                        "importance": driver.find_element(By.CSS_SELECTOR, "#importance caption").get_attribute("textContent"),
                        "rows": driver.execute_script("return document.querySelectorAll('#runs tbody tr[data-run]').length")}
            before = shown()
            assert "filter=" in before["url"] and "filter=" in before["csv"], before
            console_errors(driver)
            driver.execute_script("performance.clearResourceTimings()")
            typed("field_strength >= oops")
            wait.until(lambda d: d.find_element(By.ID, "filter-error").get_attribute("textContent"))
            assert driver.find_element(By.ID, "run-filter").get_attribute("aria-invalid") == "true"
            time.sleep(1.5)
            assert shown() == before, (shown(), before)
            # The filter is asked once, by one page of runs; nothing else is asked with it.
            asked = driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)"
                                          ".filter((name) => name.includes('oops'))")
            assert len(asked) == 1 and "/runs?" in asked[0], asked
            errors = console_errors(driver)
            assert len(errors) <= 1, errors
            # Scrolling the table asks more pages: the error stays while the box holds the refused filter.
            driver.execute_script("document.querySelector('.table-wrap').dispatchEvent(new Event('scroll'))")
            time.sleep(0.5)
            assert driver.find_element(By.ID, "filter-error").get_attribute("textContent")
            # Put right, the filter is taken and the error goes.
            typed("field_strength >= 0.8")
            wait.until(lambda d: not d.find_element(By.ID, "filter-error").get_attribute("textContent"))
            wait.until(lambda d: "0.8" in urllib.parse.unquote_plus(d.current_url))
            assert driver.find_element(By.ID, "run-filter").get_attribute("aria-invalid") is None

        def refused_filter_in_the_url_is_said_and_left_out():
            driver.get(url + "/#/")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-list li"))
            console_errors(driver)
            driver.execute_script("performance.clearResourceTimings()")
            driver.execute_script(f"location.hash = '#/sweeps/{finished}?filter=' + encodeURIComponent('field_strength >= oops')")
            wait.until(lambda d: d.find_element(By.ID, "filter-error").get_attribute("textContent"))
            WebDriverWait(driver, 60, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "chart-note").get_attribute("textContent").startswith("All 18 finished"))
            wait.until(lambda d: d.find_element(By.ID, "run-count").get_attribute("textContent").startswith("22 of 22"))
            wait.until(lambda d: "18 finished field runs" in d.find_element(By.ID, "heat-note").get_attribute("textContent"))
            time.sleep(1)
            assert driver.find_element(By.ID, "filter-error").get_attribute("textContent")
            assert driver.find_element(By.ID, "run-filter").get_attribute("value") == "field_strength >= oops"
            assert "filter" not in driver.find_element(By.ID, "csv-link").get_attribute("href")
            asked = driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)"
                                          ".filter((name) => name.includes('oops'))")
            # Only the table's first page is asked with it, once; then without it.
            assert len(asked) == 1 and "/runs?offset=0&" in asked[0], asked
            errors = [error for error in console_errors(driver) if "400" in error and "/runs?" not in error]
            assert not errors, errors

        def csv_link_follows_the_sort_at_once():
            open_view(finished, "?filter=" + urllib.parse.quote("mode = morphic"))
            key = "avg_influence_rate"
            button = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"#runs thead button[data-key='{key}']"))
            button.click()
            driver.find_element(By.CSS_SELECTOR, f"#runs thead button[data-key='{key}']").click()
            assert f"sort=-{key}" in driver.current_url, driver.current_url
            href = driver.find_element(By.ID, "csv-link").get_attribute("href")
            query = urllib.parse.parse_qs(urllib.parse.urlparse(href).query)
            assert query.get("sort") == ["-" + key] and query.get("filter") == ["mode = morphic"], href
            with urllib.request.urlopen(href, timeout=30) as response:
                lines = response.read().decode().strip().split("\n")
            column = lines[0].split(",").index(key)
            values = [float(line.split(",")[column]) for line in lines[1:]]
            assert len(values) == 18 and values == sorted(values, reverse=True), values

        def back_closes_the_run_and_stays_on_the_sweep():
            driver.get(url + "/#/")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-list li"))
            driver.execute_script(f"location.hash = '#/sweeps/{finished}'")
            row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#runs tbody tr[data-run]"))
            run_id = row.get_attribute("data-run")
            typed("mode = morphic")
            wait.until(lambda d: "filter=" in d.current_url)
            row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#runs tbody tr[data-run^='morphic']"))
            run_id = row.get_attribute("data-run")
            row.click()
            wait.until(lambda d: d.find_element(By.ID, "run-detail").is_displayed())
            wait.until(lambda d: "run=" + run_id in d.current_url)
            driver.back()
            wait.until(lambda d: not d.find_element(By.ID, "run-detail").is_displayed())
            assert f"#/sweeps/{finished}?" in driver.current_url and "run=" not in driver.current_url, driver.current_url
            assert "filter=" in driver.current_url, driver.current_url
            assert driver.find_element(By.ID, "view-sweep").is_displayed()
            assert driver.find_element(By.ID, "run-filter").get_attribute("value") == "mode = morphic"
            assert not driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr[aria-selected]")
            # Forward opens it again; Back twice more leaves the sweep for the list.
            driver.forward()
            wait.until(lambda d: d.find_element(By.ID, "run-detail").is_displayed())
            assert text("run-title") == "Run " + run_id, text("run-title")
            driver.back()
            wait.until(lambda d: not d.find_element(By.ID, "run-detail").is_displayed())
            driver.back()
            wait.until(lambda d: d.find_element(By.ID, "view-sweeps").is_displayed())

        def shared_url_with_a_run_keeps_its_chart_choices():
            driver.get(url + "/#/")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-list li"))
            driver.execute_script(f"location.hash = '#/sweeps/{finished}?y=final_population&hz=avg_population&run=morphic_1'")
            wait.until(lambda d: d.find_element(By.ID, "run-detail").is_displayed())
            WebDriverWait(driver, 60, ignored_exceptions=REDRAWN).until(lambda d: "final population" in d.find_element(By.ID, "sweep-chart").get_attribute("textContent"))
            query = urllib.parse.parse_qs(urllib.parse.urlparse(driver.current_url).fragment.split("?", 1)[1])
            assert query.get("y") == ["final_population"] and query.get("hz") == ["avg_population"], driver.current_url
            assert query.get("run") == ["morphic_1"], driver.current_url

        def filter_error_quotes_what_was_typed_as_text():
            open_view(finished)
            # The refused condition comes back exactly as typed, with where it starts, and is
            # shown as text: markup in it is neither parsed nor run.
            for typed_text, quoted, position in [
                ("<script>alert(1)</script>", "<script>alert(1)</script>", 1),
                ("mode = morphic and  field_strength >= <b>x</b>", "field_strength >= <b>x</b>", 21),
                ("mode = morphic and <img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>", 20),
            ]:
                assert typed_text[position - 1:].startswith(quoted), (typed_text, quoted, position)
                typed(typed_text)
                wait.until(lambda d: f"'{quoted}' at character {position}" in text("filter-error"))
                error = driver.find_element(By.ID, "filter-error")
                assert driver.execute_script("return arguments[0].children.length", error) == 0, error.get_attribute("innerHTML")
                # No dialog was opened by the text (one open would block this script).
                assert driver.execute_script("return 1") == 1
            typed("mode = morphic")
            wait.until(lambda d: not text("filter-error"))

        def importance_caption_counts_the_runs_its_shares_are_computed_from():
            open_view(finished)
            caption = text("importance").split("Together")[0]
            runs = {row.get_attribute("data-runs") for row in driver.find_elements(By.CSS_SELECTOR, "#importance tr[data-parameter]")}
            _, answer = api(url, f"/api/sweeps/{finished}/importance?y=avg_influence_rate")
            # Field strength and temporal decay act in the 18 morphic runs of 22 (4 controls).
            assert runs == {"18"} and answer["matched"] == 22, (runs, answer["matched"])
            assert "over the 18 finished runs where they act (of 22 matching the filter)" in caption, caption
            # The caption for every way the counts can fall (all runs; fewer, the same for
            # every parameter; different for each), from the function that writes it.
            captions = driver.execute_async_script(
                "import('/js/importance.js').then((m) => arguments[0]([[22, [22, 22]], [22, [18]], [22, [18, 18]], [22, [6, 18]], [1, [1]]]"
                ".map(([matched, runs]) => m.importanceCaption({y: 'avg_population', matched, parameters: runs.map((n) => ({runs: n}))}))))")
            assert captions == [
                "Share of the variance of avg population explained by each parameter alone, over the 22 finished runs matching the filter",
                "Share of the variance of avg population explained by each parameter alone, over the 18 finished runs where it acts (of 22 matching the filter)",
                "Share of the variance of avg population explained by each parameter alone, over the 18 finished runs where they act (of 22 matching the filter)",
                "Share of the variance of avg population explained by each parameter alone, each over the finished runs where it acts: 6 to 18 of the 22 matching the filter (its runs)",
                "Share of the variance of avg population explained by each parameter alone, over the 1 finished run matching the filter",
            ], captions

        def first_page_is_asked_once():
            # Every request the page makes, counted from the document's start (aborted ones too).
            probe = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source":
                "window.asked = []; const fetched = window.fetch;"
                "window.fetch = function (resource) { window.asked.push(String(resource)); return fetched.apply(this, arguments); };"})
            try:
                for fresh, query in [(True, ""), (False, ""), (True, "?filter=" + urllib.parse.quote("mode = morphic")),
                                     (False, "?sort=-avg_population"), (False, "?run=morphic_3"), (True, "?cols=rule")]:
                    if fresh:
                        driver.get("about:blank")
                        open_view(finished, query)
                    else:
                        driver.get(url + "/#/")
                        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-list li"))
                        driver.execute_script("window.asked = []; location.hash = arguments[0]", f"#/sweeps/{finished}{query}")
                        WebDriverWait(driver, 60, ignored_exceptions=REDRAWN).until(lambda d: re.match(r"All \d+ finished", text("chart-note")))
                    time.sleep(1)
                    first = [name for name in driver.execute_script("return window.asked") if "/runs?offset=0&" in name]
                    assert len(first) == 1, (fresh, query, first)
            finally:
                driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", probe)

        def deleted_sweep_is_said_to_be_gone():
            doomed = submit(url, DOOMED)
            driver.get(url + f"/#/sweeps/{doomed}?run=d_1")
            wait.until(lambda d: d.find_element(By.ID, "run-detail").is_displayed())
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#sweep-status .status").text == "completed")
            assert api(url, "/api/sweeps/" + doomed, "DELETE")[0] == 204
            # A control used meanwhile finds the sweep gone at once, not at the next status poll.
            Select(driver.find_element(By.ID, "chart-y")).select_by_value("final_population")
            WebDriverWait(driver, 3, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "view-missing").is_displayed())
            assert not driver.find_element(By.ID, "view-sweep").is_displayed()
            assert "no longer exists" in text("notice"), text("notice")

        def outage_is_shown_and_clears_without_a_click():
            nonlocal server
            open_view(finished)
            assert "avg influence rate" in text("sweep-chart"), text("sweep-chart")[:200]
            port = int(url.rsplit(":", 1)[1])
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=15)
            WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "outage").is_displayed())
            # A choice made while the server is away is drawn once it is back.
            Select(driver.find_element(By.ID, "chart-y")).select_by_value("final_population")
            time.sleep(1)
            server, _ = start_server(binary, data, port)
            WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: not d.find_element(By.ID, "outage").is_displayed())
            WebDriverWait(driver, 30, ignored_exceptions=REDRAWN).until(lambda d: "final population" in d.find_element(By.ID, "sweep-chart").get_attribute("textContent"))
            WebDriverWait(driver, 30, ignored_exceptions=REDRAWN).until(lambda d: re.match(r"All \d+ finished", d.find_element(By.ID, "chart-note").get_attribute("textContent")))

        def outage_banner_clears_on_a_view_that_asks_nothing():
            nonlocal server
            driver.get(url + "/#/")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-list li"))
            port = int(url.rsplit(":", 1)[1])
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=15)
            driver.execute_script("location.hash = '#/sweeps/" + finished + "'")
            WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: d.find_element(By.ID, "outage").is_displayed())
            # The form polls nothing: the banner's own retry is what clears it.
            driver.execute_script("location.hash = '#/new'")
            time.sleep(1)
            assert driver.find_element(By.ID, "outage").is_displayed()
            server, _ = start_server(binary, data, port)
            WebDriverWait(driver, 10, ignored_exceptions=REDRAWN).until(lambda d: not d.find_element(By.ID, "outage").is_displayed())

        for test in [charts_follow_a_running_sweep, invalid_filter_changes_nothing_but_the_error,
                     refused_filter_in_the_url_is_said_and_left_out,
                     csv_link_follows_the_sort_at_once, back_closes_the_run_and_stays_on_the_sweep,
                     shared_url_with_a_run_keeps_its_chart_choices, filter_error_quotes_what_was_typed_as_text,
                     importance_caption_counts_the_runs_its_shares_are_computed_from, first_page_is_asked_once,
                     deleted_sweep_is_said_to_be_gone, outage_is_shown_and_clears_without_a_click,
                     outage_banner_clears_on_a_view_that_asks_nothing]:
            if len(sys.argv) > 3 and test.__name__ not in sys.argv[3:]:
                continue
            check(test.__name__, test)
    finally:
        driver.quit()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except Exception:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
