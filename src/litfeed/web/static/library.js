// Save and rate without reloading the page: the forms post as they would, asking for JSON, and
// the buttons of that paper (wherever they are on the page) show the answer. Without this
// script (or when the request fails) the forms work as plain forms.
"use strict";

function show(button, on, label) {
  button.classList.toggle(button.classList.contains("save") ? "saved" : "rated", on);
  button.setAttribute("aria-pressed", on ? "true" : "false");
  if (label) button.textContent = label;
}

function update(action, answer) {
  for (const form of document.querySelectorAll("form")) {
    if (form.getAttribute("action") !== action) continue;
    const button = form.querySelector("button");
    if ("saved" in answer) {
      show(button, answer.saved, answer.saved ? "★ Saved" : "☆ Save");
      button.title = answer.saved ? "take it out of your library" : "save it to your library";
    } else {
      const rating = form.querySelector("input[name=rating]");
      const value = button.textContent === "+" ? 1 : -1;
      const on = answer.rating === value;
      show(button, on);
      rating.value = on ? 0 : value;
    }
  }
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form.library, form.rate")) return;
  event.preventDefault();
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(String(response.status));
    update(form.getAttribute("action"), await response.json());
  } catch {
    form.submit(); // the plain way: the server redirects back
  }
});
