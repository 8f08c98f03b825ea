// The topic map (/topics): every paper on the map drawn with WebGL (regl-scatterplot), coloured
// by its broad topic; labels of broad topics far out and finer ones close in; hover shows a
// paper's title, a click opens it; search on the map; filters by date and category; a lasso
// (shift and drag) picks the areas a reader calls theirs. Without WebGL the page keeps its
// picture and its drawing of topics, which work without this script.
import createScatterplot from "regl-scatterplot";
import { scaleLinear } from "d3-scale";

const STEPS = 65535;
const FINE_FROM = 2.5; // zoomed in this far (or more), the finer topics' labels show
// Zoom from the whole map with a margin round it to a handful of papers' neighbourhood: further
// out the map is a dot, further in no two papers share the screen.
const ZOOM_BOUNDS = [0.5, 256];

function webgl() {
  const probe = document.createElement("canvas");
  return Boolean(probe.getContext("webgl2") || probe.getContext("webgl"));
}

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

async function start(box) {
  if (!webgl()) return; // the picture stays
  const response = await fetch(box.dataset.source, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const data = await response.json();
  if (!data.count) return;

  const topics = new Map(data.topics.map((topic) => [topic.id, topic]));
  const broad = data.topics.filter((topic) => topic.level === 0);
  const colourOf = new Map(broad.map((topic, n) => [topic.id, n + 1]));
  const colours = ["#b8b8b8", ...broad.map((topic) => topic.colour)];
  const at = new Map(data.ids.map((id, n) => [id, n]));
  const points = {
    x: data.x.map((v) => (v / STEPS) * 2 - 1),
    y: data.y.map((v) => (v / STEPS) * 2 - 1),
    valueA: data.broad.map((topic) => colourOf.get(topic) || 0),
  };

  const canvas = element("canvas", "map-canvas");
  const labels = element("div", "map-labels");
  const tip = element("div", "map-tip");
  tip.hidden = true;
  const stage = box.querySelector(".map-stage");
  stage.replaceChildren(canvas, labels, tip);
  box.classList.add("live");

  const xScale = scaleLinear().domain([-1, 1]);
  const yScale = scaleLinear().domain([-1, 1]);
  const plot = createScatterplot({
    canvas,
    xScale,
    yScale,
    pointSize: 3,
    pointSizeSelected: 4,
    pointOutlineWidth: 2,
    opacityInactiveScale: 0.25, // while hits are shown, the other papers fade
    opacity: 0.75,
    colorBy: "valueA",
    pointColor: colours,
    pointColorActive: "#d00000",
    pointColorHover: "#000000",
    backgroundColor: "#ffffff",
    lassoColor: "#0072b2",
    spatialIndexUseWorker: false,
  });
  plot.get("camera").setScaleBounds([ZOOM_BOUNDS, ZOOM_BOUNDS]);

  // Labels: the broad topics' far out, the finer topics' (those in view) close in; the largest
  // first, none over another.
  const full = 2;
  let zoom = 1;
  // A broad topic's first two phrases (a word alone, "hand", says too little far out); a finer
  // topic's first, or its first two where another topic of its level starts alike.
  const firsts = new Map();
  for (const topic of data.topics) {
    const key = `${topic.level} ${topic.label.split(" / ")[0]}`;
    firsts.set(key, (firsts.get(key) || 0) + 1);
  }
  const short = (topic) => {
    const phrases = topic.label.split(" / ");
    const alike = topic.level === 0 || firsts.get(`${topic.level} ${phrases[0]}`) > 1;
    return alike ? phrases.slice(0, 2).join(" / ") : phrases[0];
  };
  const placed = data.topics.map((topic) => {
    const label = element("a", `map-label level-${topic.level}`, short(topic));
    label.href = `/topics/${topic.id}`;
    label.title = `${topic.label} (${topic.size} papers)`;
    labels.append(label);
    return { topic, label, x: (topic.x / STEPS) * 2 - 1, y: (topic.y / STEPS) * 2 - 1 };
  });
  function drawLabels() {
    const [left, right] = xScale.domain();
    zoom = full / (right - left);
    const level = zoom >= FINE_FROM ? 1 : 0;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const taken = [];
    for (const item of placed) {
      const px = xScale(item.x);
      const py = yScale(item.y);
      let show = item.topic.level === level && px > 0 && px < width && py > 0 && py < height;
      if (show) {
        const half = (item.label.textContent.length * 7) / 2 + 4;
        const box = [px - half, py - 10, px + half, py + 10];
        show = !taken.some((t) => box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1]);
        if (show) taken.push(box);
      }
      item.label.hidden = !show;
      if (show) {
        item.label.style.left = `${Math.round(px)}px`;
        item.label.style.top = `${Math.round(py)}px`;
      }
    }
    box.dataset.zoom = zoom.toFixed(2);
    box.dataset.labels = level === 0 ? "broad" : "fine";
  }
  plot.subscribe("view", drawLabels);
  // A label is a link (to its topic's page), over the canvas: scrolling on it still zooms.
  labels.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      canvas.dispatchEvent(new WheelEvent("wheel", event));
    },
    { passive: false },
  );

  // Hover: the paper's title (asked for once) and its topic.
  const titles = new Map();
  let hovered = -1;
  plot.subscribe("pointOver", async (index) => {
    hovered = index;
    const id = data.ids[index];
    const topic = topics.get(data.fine[index]) || topics.get(data.broad[index]);
    const [px, py] = plot.getScreenPosition(index);
    tip.style.left = `${Math.round(px + 12)}px`;
    tip.style.top = `${Math.round(py + 12)}px`;
    const heading = element("strong", "", titles.get(id) || id);
    tip.replaceChildren(heading, element("small", "", topic ? topic.label : "no topic"));
    tip.hidden = false;
    if (!titles.has(id)) {
      const answer = await fetch(`/api/papers/${id}`);
      if (answer.ok) titles.set(id, (await answer.json()).paper.title);
      if (hovered === index && titles.has(id)) heading.textContent = titles.get(id);
    }
  });
  plot.subscribe("pointOut", () => {
    hovered = -1;
    tip.hidden = true;
  });

  // A click on a point opens its paper; a lasso picks areas.
  const picking = box.querySelector(".map-pick");
  let programmatic = false;
  plot.subscribe("select", ({ points: chosen }) => {
    if (programmatic) return;
    if (chosen.length === 1) {
      window.location.assign(`/papers/${data.ids[chosen[0]]}`);
    } else if (picking) {
      showPick(chosen);
    }
  });

  // The topics that hold a share of the circled papers: the finer ones where they do (a small
  // area), else the broad ones the rest are in (a large area: its finer topics are each a sliver).
  function showPick(chosen) {
    const least = Math.max(3, chosen.length * 0.05);
    const count = (indices, level) => {
      const counted = new Map();
      for (const index of indices) {
        const topic = level[index];
        if (topic) counted.set(topic, (counted.get(topic) || 0) + 1);
      }
      return [...counted.entries()].filter(([, n]) => n >= least);
    };
    const fine = count(chosen, data.fine);
    const named = new Set(fine.map(([id]) => id));
    const rest = chosen.filter((index) => !named.has(data.fine[index]));
    const list = picking.querySelector(".map-pick-topics");
    const rows = [...fine, ...count(rest, data.broad)].sort((a, b) => b[1] - a[1]).slice(0, 12);
    list.replaceChildren(
      ...rows.map(([id, count]) => {
        const row = element("label");
        const box = element("input");
        box.type = "checkbox";
        box.name = "topic";
        box.value = String(id);
        box.checked = true;
        row.append(box, ` ${topics.get(id).label} (${count} of the papers you circled)`);
        const item = element("li");
        item.append(row);
        return item;
      }),
    );
    picking.querySelector(".map-pick-count").textContent = String(chosen.length);
    picking.hidden = rows.length === 0;
  }

  // Search on the map: the hits are highlighted and the view flies to them.
  const search = box.querySelector(".map-search");
  const said = box.querySelector(".map-status");
  search?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = search.querySelector("input[name=q]").value.trim();
    if (!query) {
      programmatic = true;
      plot.deselect();
      programmatic = false;
      return;
    }
    const answer = await fetch(`/api/search?${new URLSearchParams({ q: query, limit: "100" })}`);
    if (!answer.ok) {
      said.textContent = "The search did not answer.";
      return;
    }
    const found = (await answer.json()).hits
      .map((hit) => at.get(hit.paper.id))
      .filter((index) => index !== undefined);
    programmatic = true;
    plot.select(found, { preventEvent: true });
    programmatic = false;
    said.textContent = `${found.length} of the first 100 results for “${query}” are on the map.`;
    if (found.length) await plot.zoomToPoints(found, { padding: 0.4, transition: true });
    box.dataset.found = String(found.length); // after the flight: the view is still now
  });

  // Filters: a date range and a category.
  const filters = box.querySelector(".map-filters");
  const startDay = Date.parse(`${data.start}T00:00:00Z`) / 86400000;
  function dayOf(value) {
    return value ? Date.parse(`${value}T00:00:00Z`) / 86400000 - startDay : null;
  }
  filters?.addEventListener("change", () => {
    const since = dayOf(filters.querySelector("[name=since]").value);
    const until = dayOf(filters.querySelector("[name=until]").value);
    const wanted = filters.querySelector("[name=category]").value;
    const category = wanted ? data.categories.indexOf(wanted) : -1;
    if (since === null && until === null && category < 0) {
      plot.unfilter({ preventEvent: true });
      box.dataset.shown = String(data.count);
      return;
    }
    const kept = [];
    for (let n = 0; n < data.count; n += 1) {
      if (since !== null && data.day[n] < since) continue;
      if (until !== null && data.day[n] > until) continue;
      if (category >= 0 && data.category[n] !== category) continue;
      kept.push(n);
    }
    plot.filter(kept, { preventEvent: true });
    box.dataset.shown = String(kept.length);
    said.textContent = `${kept.length} papers shown.`;
  });
  const categories = filters?.querySelector("[name=category]");
  for (const name of data.categories) {
    if (name) categories?.append(new Option(name, name));
  }

  // For tests and the curious: where a paper is on the screen now.
  window.topicMap = {
    count: data.count,
    where: (id) => (at.has(id) ? plot.getScreenPosition(at.get(id)) : null),
    zoom: () => zoom,
  };

  await plot.draw(points);
  drawLabels();
  box.dataset.drawn = String(Math.round(performance.now()));
  box.dataset.shown = String(data.count);
}

for (const box of document.querySelectorAll(".topic-map[data-source]")) {
  start(box).catch((error) => {
    box.dataset.failed = String(error);
  });
}
