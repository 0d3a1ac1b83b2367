raise RuntimeError("the app failed at import time")
