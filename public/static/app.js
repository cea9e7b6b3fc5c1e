// Small progressive enhancements; every page works without this file.
;(() => {
  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-copy-target]') : null
    if (!button) return
    const input = document.getElementById(button.getAttribute('data-copy-target'))
    if (!input) return
    input.select()
    try {
      await navigator.clipboard.writeText(input.value)
    } catch {
      document.execCommand('copy')
    }
    const status = document.getElementById(`${input.id}-status`)
    if (status) status.textContent = 'Copied to clipboard'
  })

  // The copy button only makes sense with JavaScript: reveal it.
  const reveal = (root) => {
    for (const el of root.querySelectorAll('[data-copy-target][hidden]')) el.hidden = false
  }
  document.addEventListener('DOMContentLoaded', () => reveal(document))
  document.addEventListener('htmx:afterSettle', (event) => reveal(event.target))
})()
