import collections, os
from app import roles
from tests import fuzz_setup
from tests.test_fuzz import fuzz_api

def test_spike(app):
    names = fuzz_setup.world()
    total = 0
    allf = []
    n = int(os.environ.get("SPIKE_N", "5"))
    for role in fuzz_setup.ROLES:
        for how in os.environ.get("SPIKE_HOW", "token").split(","):
            sent, failures = fuzz_api(app, names[role], how, n)
            total += sent
            allf += [(role, how) + f for f in failures]
    with open(os.environ.get("SPIKE_OUT", "/tmp/spike.txt"), "w") as out:
        print("SENT", total, "FAIL", len(allf), file=out)
        c = collections.Counter((f[2], str(f[3])[:150]) for f in allf)
        for k, v in c.most_common(): print(v, k, file=out)
        for f in allf: print(f[0], f[1], f[2], str(f[3])[:300], f[4][:800], file=out)
