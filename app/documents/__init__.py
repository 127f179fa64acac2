"""PDF documents (customer offers and the like) built with reportlab: data in, PDF bytes out.

``fonts`` registers the vendored, OFL-licensed faces in ``fonts/`` (Latin/Cyrillic, Thai, Korean, Simplified
Chinese) and picks the face for a piece of text in the customer's language.
"""
