// The discussion without reloading the page: a comment, a reply, an edit, a vote, a deletion
// or a report is sent as its form would send it, asking for JSON; the discussion is then drawn
// again from the page it leads to, and the comment it names is brought into view. Without this
// script (or when the request fails) the forms work as plain forms.
"use strict";

async function redraw(location) {
  const [path, anchor] = location.split("#");
  const page = await fetch(path, { credentials: "same-origin" });
  const fresh = new DOMParser()
    .parseFromString(await page.text(), "text/html")
    .getElementById("comments");
  const current = document.getElementById("comments");
  if (!fresh || !current) return false;
  current.replaceWith(document.adoptNode(fresh));
  const target = anchor && document.getElementById(anchor);
  if (target) target.scrollIntoView({ block: "nearest" });
  return true;
}

function said(form, text) {
  let note = form.querySelector("p.error");
  if (!note) {
    note = document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    form.append(note);
  }
  note.textContent = text; // text, never markup
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.closest("#comments")) return;
  if (form.method.toLowerCase() !== "post") return;
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    const answer = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (answer.ok) {
      const data = await answer.json();
      if (data.location && (await redraw(data.location))) return;
      window.location.assign(data.location || window.location.href);
      return;
    }
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    const message = page.querySelector("p.error");
    said(form, message ? message.textContent : `Not done (${answer.status}).`);
  } catch (error) {
    form.submit();
    return;
  }
  if (button) button.disabled = false;
});
