// Routing: the URL's hash picks the view.
import { clearNotice, notice } from "./api.js";
import { $ } from "./dom.js";
import { poll, startView } from "./lifecycle.js";
import { mountForm } from "./views/form.js";
import { pollList } from "./views/list.js";
import { showSweep } from "./views/sweep.js";

export function route() {
  const number = startView();
  clearNotice();
  const hash = location.hash || "#/";
  for (const name of ["sweeps", "new", "sweep", "missing"]) $("#view-" + name).hidden = true;
  const match = hash.match(/^#\/sweeps\/([a-z0-9-]+)(?:\?(.*))?$/);
  if (match) {
    showSweep(match[1], Object.fromEntries(new URLSearchParams(match[2] || "").entries()), number);
  } else if (hash === "#/new") {
    $("#view-new").hidden = false;
    mountForm();
    document.title = "New sweep · MorphicLab";
  } else {
    // An address of no view (mistyped, or a sweep id in capitals) shows the list, saying so.
    if (!/^#\/?(\?.*)?$/.test(hash)) notice(`There is no page at ${hash}: here are the sweeps.`);
    $("#view-sweeps").hidden = false;
    document.title = "Sweeps · MorphicLab";
    let idle = 0;
    const page = Math.max(0, Math.floor(Number(new URLSearchParams(hash.split("?")[1] || "").get("page")) || 0));
    poll(number, async () => {
      const active = await pollList(number, page);
      if (active == null) return 5000;
      // Every second while something runs; otherwise less and less often, up to 30 s.
      idle = active ? 0 : idle + 1;
      return active ? 1000 : Math.min(30000, 5000 * 2 ** (idle - 1));
    });
  }
  for (const [id, active] of [["#nav-sweeps", !match && hash !== "#/new"], ["#nav-new", hash === "#/new"]]) {
    if (active) $(id).setAttribute("aria-current", "page"); else $(id).removeAttribute("aria-current");
  }
}
