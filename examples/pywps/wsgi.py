"""The WPS service as a WSGI application: `pyhost serve wsgi:application`, or `pyhost serve` here."""

import os

from pywps import Service

from processes.say_hello import SayHello

HERE = os.path.dirname(os.path.abspath(__file__))

# pywps.cfg, then a file named by $PYWPS_CFG for what a deployment changes (output and work directories).
config_files = [os.path.join(HERE, "pywps.cfg")] + ([os.environ["PYWPS_CFG"]] if os.environ.get("PYWPS_CFG") else [])

application = Service(processes=[SayHello()], cfgfiles=config_files)
