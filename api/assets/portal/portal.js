// Fills the login form from the link's fragment (never sent to a server) and submits it.
document.addEventListener('DOMContentLoaded', function () {
  var form = document.getElementById('login');
  if (!form) return;
  var match = /[#&]t=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match) {
    form.token.value = match[1];
    history.replaceState(null, '', location.pathname);
    form.submit();
  }
});
