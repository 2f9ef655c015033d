from __future__ import annotations

import logging

from cosmosdb_shared.redaction import SecretRedactionFilter


def test_secret_is_replaced_in_message_and_traceback(caplog):
    logger = logging.getLogger("test.redaction")
    flt = SecretRedactionFilter(["topsecretkey=="])
    logger.addFilter(flt)
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("using key %s now", "topsecretkey==")
            try:
                raise RuntimeError("bad key topsecretkey==")
            except RuntimeError:
                logger.exception("failed")
    finally:
        logger.removeFilter(flt)
    text = caplog.text
    assert "topsecretkey==" not in text
    assert "using key *** now" in text
    assert "bad key ***" in text
