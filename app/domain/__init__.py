"""Pure dealer-domain rules: no Flask, no SQLAlchemy sessions, ``Decimal`` money only.

Every module here can be imported and tested without an application. See
``money`` for the rounding rule every other module follows.
"""
