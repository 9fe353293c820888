"""A Sphinx extension of this site: the code blocks of a translated edition come from the page's catalog.

Kept out of ``conf.py`` so that the configuration stays importable without Sphinx (the tests read it).
"""
from __future__ import annotations

from docutils import nodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain


class TranslatedCodeBlocks(SphinxTransform):
    """Code blocks of a translated edition, from the page's catalog, as they are written there.

    Sphinx's own Locale transform (priority 20) re-parses a translated literal block as reST (``::`` and the
    text indented); the pages are MyST, which reads that as a paragraph "::", and the block would show "::"
    instead of its code. This runs first, puts the translation in place, and marks the block translated so
    that Locale leaves it alone."""

    default_priority = 19

    def apply(self, **kwargs) -> None:  # noqa: ANN003 (docutils' signature)
        if not self.config.language or self.config.language == "en":
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, found = init_locale([self.env.srcdir / d for d in self.config.locale_dirs], self.config.language, domain)
        if not found:
            return
        for node in self.document.findall(nodes.literal_block):
            original = node.rawsource or node.astext()
            translated = catalog.gettext(original)
            if node.get("translatable", True) and translated.strip() and translated != original:
                node[:] = [nodes.Text(translated)]
                node.rawsource = translated
                node["translatable"] = False  # is_translatable(): Locale skips it


def setup(app) -> dict:  # noqa: ANN001
    app.add_transform(TranslatedCodeBlocks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
