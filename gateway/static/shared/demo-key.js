// The API key an example page starts with, shared by the dashboard and the
// session page: #key=... in the address (a fragment: never sent to any server,
// and dropped from the address once read), else the sandbox demo key the
// gateway advertises to GraphiQL (only in sandbox mode), else '' (ask).
export async function initialKey() {
  const fromUrl = new URLSearchParams(window.location.hash.slice(1)).get('key');
  if (fromUrl) {
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return fromUrl;
  }
  try {
    const response = await fetch('/graphiql/config.json');
    if (response.ok) {
      const auth = (await response.json()).headers?.Authorization || '';
      if (auth.startsWith('API-KEY ')) return auth.slice('API-KEY '.length);
    }
  } catch {
    // not served: leave the field empty
  }
  return '';
}
