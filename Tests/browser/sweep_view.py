"""What the browser checks and the explorer's figures share: a finished sweep made with
`morphic sweep`, a server over it, a headless Chromium, the sweep view opened afresh with
everything its goals speak of measured (when each part is drawn, elements, bytes, long tasks,
console errors), and the checks' harness (Checks).

Used by test_page.py (which asserts the goals that do not depend on the machine), by
test_sweep_live.py and test_inference.py, and by explorer_figures.py (which prints the figures
for a release build at 100,000 and 1,000,000 runs); neither times anything the other does not.
"""
import json, os, re, shutil, subprocess, sys, tempfile, time, traceback, urllib.error, urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# What a wait for a view's element meets while the page draws it again: the element not yet
# there, or replaced between being found and being read. Every wait on the page ignores both.
REDRAWN = (NoSuchElementException, StaleElementReferenceException)

PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Checks:
    """Runs a file's checks one after another, each on its own: one that fails is said with its
    traceback and a screenshot (ARTIFACTS/PREFIX-fail-NAME.png), and the next still runs.

        checks = Checks(driver, artifacts, "live")
        checks("name", body)            # PASS name, or FAIL name and why
        sys.exit(checks.summary())      # 'N passed, N failed'; 0 when none failed
    """

    def __init__(self, driver, artifacts, prefix):
        self.driver, self.artifacts, self.prefix = driver, artifacts, prefix
        self.passed = self.failed = 0

    def __call__(self, name, body):
        try:
            body()
            self.passed += 1
            print("PASS", name, flush=True)
        except Exception:
            self.failed += 1
            print("FAIL", name, flush=True)
            traceback.print_exc()
            sys.stderr.flush()
            try:
                self.driver.save_screenshot(os.path.join(self.artifacts, f"{self.prefix}-fail-{name}.png"))
            except Exception:  # a browser gone too says nothing more about the check
                pass

    def summary(self):
        """Prints the counts; the exit status: 1 when a check failed."""
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def api(url, path, method="GET", body=None, timeout=30):
    request = urllib.request.Request(url + path, method=method, data=body,
                                     headers={"Content-Type": "application/json"} if body else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def finished_sweep(binary, data, replicates=1000, grid_size=4, generations=2, name="hundred-k", packed=False):
    """A finished sweep of 100 × `replicates` tiny runs, computed by `morphic sweep` and placed
    where the server keeps its sweeps, as if the server had computed it (with the runs index
    `morphic sweep` writes as the server's assembler does).

    Returns (sweep id, seconds computing, peak resident KB of `morphic sweep`)."""
    work = tempfile.mkdtemp(prefix="morphic-sweep-", dir=data)
    try:
        path = os.path.join(work, "sweep.json")
        with open(path, "w") as file:
            # 10 × 10 grid points of `replicates` runs each, in that order: the first tenth of the
            # runs are all at field strength 0.1, so a view that loads a prefix shows a tenth of the range.
            json.dump({"name": name, "defaults": {"grid_size": grid_size, "generations": generations, "crystal_count": 2},
                       "groups": [{"prefix": "r", "mode": "morphic", "replicates": replicates,
                                   "grid": {"field_strength": [round(0.1 * i, 1) for i in range(1, 11)],
                                            "temporal_decay": [round(0.1 * i, 1) for i in range(0, 10)]}}]}, file)
        out = os.path.join(work, "out")
        started = time.time()
        process = subprocess.Popen([binary, "sweep", path, "--output", out, "--quiet", "--max-runs", str(max(100000, 100 * replicates))]
                                   + (["--packed"] if packed else []),
                                   cwd=PACKAGE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # wait4 gives this child's own peak resident size, not the largest of all children.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.time() - started
        if process.returncode != 0:
            raise RuntimeError(f"morphic sweep exited with {process.returncode}")
        with open(os.path.join(out, "manifest.json")) as file:
            sweep_id = json.load(file)["sweep_id"]
        os.makedirs(os.path.join(data, "sweeps"), exist_ok=True)
        shutil.move(out, os.path.join(data, "sweeps", sweep_id))
        with open(os.path.join(data, "sweeps", sweep_id, "status.json"), "w") as file:
            json.dump({"status": "completed", "sequence": 1, "created_at": "2026-01-01T00:00:00.000Z",
                       "started_at": "2026-01-01T00:00:00.000Z", "finished_at": "2026-01-01T00:03:00.000Z"}, file)
        return sweep_id, seconds, usage.ru_maxrss
    finally:
        shutil.rmtree(work, ignore_errors=True)


def start_server(binary, data, port=0, config=None, log=None):
    """`morphic serve` over `data` on loopback (with Config/server.json, or `config`); returns
    the process and its URL. `log`, when given, is a file that keeps the server's log (its
    standard error), for a check that must be able to say what the server did."""
    stderr = open(log, "w") if log else subprocess.DEVNULL
    process = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", data, "--workers", "2"]
                               + (["--config", config] if config else []),
                               cwd=PACKAGE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                               env={k: v for k, v in os.environ.items() if not k.startswith("MORPHIC_")})
    if log:
        stderr.close()
    deadline, printed = time.time() + 30, []
    while time.time() < deadline:
        line = process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return process, match.group(1)
        if line:
            printed.append(line.rstrip())
        elif process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"the server did not start (exit status {process.wait()}); it printed: {printed[-20:]}")


def peak_resident_kb(pid):
    """A live process's peak resident size so far (VmHWM), in KB."""
    with open(f"/proc/{pid}/status") as file:
        for line in file:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def browser(downloads):
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    if os.path.exists("/usr/bin/chromium"):
        options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


def console_errors(driver):
    """The page's console errors since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait_until_indexed(url, sweep_id, limit=600):
    """Waits until the server answers an aggregate of the sweep (its first reading of every
    run's record done); returns the seconds it took."""
    started = time.time()
    while time.time() - started < limit:
        try:
            if api(url, f"/api/sweeps/{sweep_id}/aggregate?y=avg_population", timeout=60)[0] == 200:
                return time.time() - started
        except OSError:  # a timeout: the answer waits for the records
            pass
        time.sleep(0.5)
    raise RuntimeError(f"sweep {sweep_id} was not indexed within {limit} s")


# Run in each document before its own scripts: every long task from the start, and when each
# part of the sweep view first shows (milliseconds since navigation), looked for once a frame.
GOAL_PROBE = """
window.morphicGoals = { marks: {}, tasks: [], taskStarts: [], supported: false };
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { window.morphicGoals.tasks.push(e.duration); window.morphicGoals.taskStarts.push(e.startTime); }
  })
    .observe({ type: 'longtask', buffered: true });
  window.morphicGoals.supported = PerformanceObserver.supportedEntryTypes.includes('longtask');
} catch (_) {}
const parts = {
  rows: '#runs tbody tr[data-run] td', chart: '#sweep-chart path.box', parallel: '#parallel[data-runs]',
  heatmap: '#heatmap[data-cells]', importance: '#importance tr[data-parameter]',
};
// The run map last: drawn, or said to be refused (`map` stays unset then).
parts.map = '#run-map[data-points]';
(function look() {
  const marks = window.morphicGoals.marks;
  for (const [name, selector] of Object.entries(parts)) {
    if (!marks[name] && document.querySelector(selector)) marks[name] = performance.now();
  }
  const refused = /^No map/.test((document.querySelector('#run-map') || {}).textContent || '');
  if (Object.keys(parts).some((name) => !marks[name] && !(name === 'map' && refused))) requestAnimationFrame(look);
})();
"""


class GoalProbe:
    """The probe installed in every new document of `driver` while the block runs."""

    def __init__(self, driver):
        self.driver = driver

    def __enter__(self):
        self.identifier = self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": GOAL_PROBE})["identifier"]
        return self

    def __exit__(self, *_):
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        self.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": self.identifier})


def measure_sweep_view(driver, url, sweep_id, scheme, timeout=60, map=False):
    """Opens the sweep view afresh (a new document, cold browser cache) in colour scheme
    `scheme` inside a GoalProbe, waits until every part is drawn and the network has been
    quiet for a second, and returns the figures: `marks` (ms after navigation of rows, chart,
    parallel, heatmap, importance), `tasks` (long tasks' ms), `transferred`, `encoded`,
    `requests`, `largest`, `paths` (of every request), `elements`, `errors` (console errors), `supported` (whether the
    browser reports long tasks); `map_asked` (ms after navigation the run map was first
    asked, None if not yet), `charts_answered` (when the last answer of the table's and
    charts' queries came: aggregates, columns, importance), `map_data` (when the map's two
    answers, the map and runs.csv, had both come, or None) and `map_tasks` (long tasks begun
    from then on: parsing and drawing the map). With `map`, waits for the map to be drawn
    (or refused) too."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    # A new document (not a hash change), so the probe runs before the page's scripts.
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    console_errors(driver)
    driver.get(url + f"/#/sweeps/{sweep_id}")
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=REDRAWN).until(lambda d: d.execute_script(
            "const m = window.morphicGoals.marks; return m.rows && m.chart && m.parallel && m.heatmap && m.importance"))
    except Exception:
        raise AssertionError("drawn so far: " + json.dumps(driver.execute_script("return window.morphicGoals")))
    WebDriverWait(driver, timeout, ignored_exceptions=REDRAWN).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#validation li.check"))
    if map:
        WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=REDRAWN).until(lambda d: d.execute_script(
            "return window.morphicGoals.marks.map || /^No map/.test(document.querySelector('#run-map').textContent)"))
    # Until the network is quiet for a second: everything the view asks for counted.
    quiet, count = time.time(), -1
    while time.time() - quiet < 1:
        now = driver.execute_script("return performance.getEntries().length")
        if now != count:
            quiet, count = time.time(), now
        time.sleep(0.1)
    figures = driver.execute_script("""
        const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
        const sum = (key) => entries.reduce((total, e) => total + (e[key] || 0), 0);
        const largest = entries.slice().sort((a, b) => b.transferSize - a.transferSize).slice(0, 3)
          .map((e) => [new URL(e.name).pathname, e.transferSize]);
        return { marks: window.morphicGoals.marks, tasks: window.morphicGoals.tasks, supported: window.morphicGoals.supported,
          transferred: sum('transferSize'), encoded: sum('encodedBodySize'), requests: entries.length, largest,
          paths: entries.map((e) => new URL(e.name).pathname),
          ...(() => {
            const path = (e) => new URL(e.name).pathname, ended = (list) => list.length ? Math.max(...list.map((e) => e.responseEnd)) : null;
            const maps = entries.filter((e) => path(e).endsWith('/map'));
            const charts = entries.filter((e) => /\\/(aggregate|columns|importance)$/.test(path(e)));
            const csv = entries.filter((e) => path(e).endsWith('/runs.csv'));
            const data = window.morphicGoals.marks.map && maps.length && csv.length ? Math.max(ended(maps), ended(csv)) : null;
            const goals = window.morphicGoals;
            return { map_asked: maps.length ? Math.min(...maps.map((e) => e.startTime)) : null, charts_answered: ended(charts),
              map_data: data, map_tasks: data == null ? [] : goals.tasks.filter((_, i) => goals.taskStarts[i] + goals.tasks[i] >= data) };
          })(),
          elements: document.getElementsByTagName('*').length };""")
    figures["errors"] = console_errors(driver)
    return figures


def describe(figures):
    """The figures of measure_sweep_view as one line."""
    marks, tasks = figures["marks"], figures["tasks"]
    return (f"table rows {marks['rows']:.0f} ms, chart {marks['chart']:.0f} ms, "
            f"parameter space {marks['parallel']:.0f} ms, heatmap {marks['heatmap']:.0f} ms, "
            f"importance {marks['importance']:.0f} ms after navigation; "
            f"{figures['elements']} elements; {figures['transferred'] / 1e6:.3f} MB transferred "
            f"({figures['encoded'] / 1e6:.3f} MB of bodies) in {figures['requests']} requests, largest "
            + ", ".join(f"{path} {size / 1e3:.0f} KB" for path, size in figures["largest"])
            + f"; long tasks {len(tasks)}, longest {max(tasks, default=0):.0f} ms, over 200 ms "
            f"{sum(1 for t in tasks if t > 200)}; console errors {len(figures['errors'])}"
            + ("; map " + (f"drawn {marks['map']:.0f} ms" if marks.get("map") else "not drawn yet")
               + (f", asked {figures['map_asked']:.0f} ms (charts' last answer {figures['charts_answered'] or 0:.0f} ms)" if figures.get("map_asked") is not None else ", no answer to its request yet")
               + (f", long tasks from its answers to its drawing: {len(figures['map_tasks'])}, longest {max(figures['map_tasks'], default=0):.0f} ms"
                  if figures.get("map_data") is not None else "")))
