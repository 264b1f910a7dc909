// The template editor's live preview: the server renders the draft as it is typed.
(function () {
  const form = document.getElementById('template-form');
  let timer = null;
  async function refresh() {
    const response = await fetch(form.dataset.preview, {method: 'POST', body: new FormData(form), credentials: 'same-origin'});
    if (!response.ok) return;
    const data = await response.json();
    const error = document.getElementById('preview-error');
    error.hidden = !data.error; error.textContent = data.error || '';
    const body = document.getElementById('preview-body');
    if (body) {
      body.textContent = data.body;
      document.getElementById('preview-chars').textContent = data.characters ?? 0;
      document.getElementById('preview-segments').textContent = data.segments ?? 0;
    }
    const html = document.getElementById('preview-html');
    if (html) { html.srcdoc = data.html; document.getElementById('preview-subject').textContent = data.subject; }
  }
  form.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refresh, 250); });
})();
