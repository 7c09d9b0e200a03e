"""The review copy for the ethics board: `python -m bot trial script <trial folder>`.

Every message a patient can read, gathered through the runtime's own loaders from one trial
folder, with its reading grade, numbered in groups, versioned by a content hash and compared
with the last approved copy (kept in ``<trial folder>/approved/``). One job per module:

  source      make a trial folder the content source for one run
  messages    gather the messages from the loaders (bot.content, bot.faq.lookup,
              bot.prescreen.engine, bot.prescreen.dialogue, bot.safety, the domain), grouped in
              the order a patient meets them
  grade       the reading grade of one message (the plain-language tests' measure)
  version     the content hash that names a version
  approved    read and record the approved copy
  diff        what changed since the approved copy, down to the words
  document    put one review copy together (messages, grades, version, changes)
  summary     the facts at the top of both documents
  render_md   the Markdown document
  render_html the HTML document (every text escaped; readable on a phone)
  command     the command line: write both files, --approve records the current one

Nothing on the serving path imports this package; it lives in ``bot`` because it must run
wherever `python -m bot` runs and it reads content only through the runtime's loaders.
"""
