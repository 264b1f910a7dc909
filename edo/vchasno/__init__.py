"""The portal's adapter to Vchasno EDO (edo.vchasno.ua, API v2), over the `py-vchasno`
package. The contracts feature sees only `EdoProvider` and `VchasnoDocument`
(interface.py); `client.VchasnoClient` is the one implementation, built from the
VCHASNO_* settings by `client.from_config`."""
from edo.vchasno.client import VchasnoClient, from_config, opened
from edo.vchasno.interface import EdoProvider, VchasnoDocument

__all__ = ["EdoProvider", "VchasnoClient", "VchasnoDocument", "from_config", "opened"]
