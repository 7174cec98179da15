"""Numbers more than one module needs, defined once."""

import math

#: log 2: the largest Jensen--Shannon divergence in nats, the value for mutually
#: singular measures, and the factor between nats and bits.
LOG2 = math.log(2.0)
