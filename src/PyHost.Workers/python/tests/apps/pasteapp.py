"""A PasteDeploy app factory, loaded through tests/apps/pasteapp.ini."""

import logging
from typing import Any, Callable, Dict, Iterable, List, Tuple

log = logging.getLogger("pasteapp")


def main(global_config: Dict[str, str], **settings: str) -> Callable[..., Iterable[bytes]]:
    def app(environ: Dict[str, Any], start_response: Callable[[str, List[Tuple[str, str]]], Any]) -> Iterable[bytes]:
        log.info("serving %s", environ["PATH_INFO"])
        log.debug("this debug line is below the ini's level")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{settings['greeting']} (here={global_config['here']})".encode()]

    return app
