"""Identity matching over the staged records that no earlier run linked.

Blocking and pair generation are SQL; the score of each candidate pair is matching.score in Python;
the decision is a union-find over integer nodes (records are rec_id > 0, existing customers are
-customer_id), processed ID links first, then score links from the strongest down. A cluster never
holds two different valid ID numbers nor two existing customers: such a link becomes a review pair
instead, so nothing is merged silently.
"""
from __future__ import annotations

from services.common.bulkjob import Step, in_steps
from services.common.copy import CopyWriter
from services.customer.domain.matching import Identity, decide, score

# A phone or address shared by more records than this is not evidence of identity (a placeholder
# number typed for everyone, a block of flats with one landline on file); it is left out of blocking.
BLOCK_MAX = 12

UNLINKED = "NOT EXISTS (SELECT 1 FROM imp_owner o WHERE o.rec_id = {r}.rec_id)"

# Unordered, so PostgreSQL groups by hashing instead of sorting a million ID numbers.
_ID_GROUPS = f"""
    SELECT array_agg(rec_id), id_no FROM imp_record r
     WHERE id_no IS NOT NULL AND {UNLINKED.format(r='r')}
     GROUP BY id_no HAVING count(*) > 1
"""
_ID_EXISTING = f"""
    SELECT r.rec_id, c.id, r.id_no FROM imp_record r JOIN customer c ON c.id_no = r.id_no
     WHERE c.status = 'active' AND {UNLINKED.format(r='r')}
"""
# Pairs of records sharing a phone, or an address and a surname, each kind found on a connection of its own
# (together they kept one busy for 10-14 s of the bench's match); a pair found both ways is scored once. A
# table, not a CTE, so the joins that score them have statistics to plan with (and can run in parallel).
_PHONE_PAIRS = """
    INSERT INTO imp_pair (a, b)
    SELECT a.rec_id, b.rec_id FROM imp_phone a JOIN imp_phone b ON b.phone = a.phone AND a.rec_id < b.rec_id
     WHERE a.phone IN (SELECT phone FROM imp_phone GROUP BY phone HAVING count(*) BETWEEN 2 AND %(block_max)s)
"""
_ADDRESS_PAIRS = """
    INSERT INTO imp_pair (a, b)
    SELECT a.rec_id, b.rec_id FROM imp_record a
      JOIN imp_record b ON b.address_norm = a.address_norm AND b.surname = a.surname AND a.rec_id < b.rec_id
     WHERE (a.address_norm, a.surname) IN (SELECT address_norm, surname FROM imp_record WHERE address_norm IS NOT NULL
                                            GROUP BY 1, 2 HAVING count(*) BETWEEN 2 AND %(block_max)s)
"""
# The pairs of unlinked records not both decided by their ID numbers, each side with what
# matching.score needs. The phones are gathered for the records of those pairs only: gathered for every
# record in a pair, they were a million arrays for the 94,000 pairs that remain on the bench's data.
_RECORD_PAIR_SCORING = f"""
    WITH pairs AS MATERIALIZED (
        SELECT DISTINCT a.rec_id AS a, a.id_no AS a_id, a.name_norm AS a_name, a.address_norm AS a_address,
               b.rec_id AS b, b.id_no AS b_id, b.name_norm AS b_name, b.address_norm AS b_address
          FROM imp_pair p JOIN imp_record a ON a.rec_id = p.a JOIN imp_record b ON b.rec_id = p.b
         WHERE (a.id_no IS NULL OR b.id_no IS NULL) AND {UNLINKED.format(r='a')} AND {UNLINKED.format(r='b')}),
    phones AS (
        SELECT rec_id, array_agg(phone) AS phones FROM imp_phone
         WHERE rec_id IN (SELECT a FROM pairs UNION SELECT b FROM pairs) GROUP BY rec_id)
    SELECT p.a, p.a_id, p.a_name, pa.phones, p.a_address, p.b, p.b_id, p.b_name, pb.phones, p.b_address
      FROM pairs p LEFT JOIN phones pa ON pa.rec_id = p.a LEFT JOIN phones pb ON pb.rec_id = p.b
"""
# Unlinked records against existing customers, blocked the same way (the customer's name must
# start with the record's surname for the address block).
_CUSTOMER_PAIRS = f"""
    WITH new AS (SELECT r.* FROM imp_record r WHERE {UNLINKED.format(r='r')}),
    pairs AS (
        SELECT p.rec_id, cp.customer_id FROM imp_phone p JOIN new USING (rec_id)
          JOIN customer_phone cp ON cp.phone = p.phone
         WHERE p.phone IN (SELECT phone FROM customer_phone WHERE phone IN (SELECT phone FROM imp_phone)
                            GROUP BY phone HAVING count(*) <= %(block_max)s)
        UNION
        SELECT new.rec_id, pr.customer_id FROM new JOIN premises pr ON pr.address_norm = new.address_norm
          JOIN customer c ON c.id = pr.customer_id AND c.name_norm LIKE new.surname || '%%')
    SELECT r.rec_id, r.id_no, r.name_norm,
           (SELECT array_agg(phone) FROM imp_phone p WHERE p.rec_id = r.rec_id), r.address_norm,
           c.id, c.id_no, c.name_norm,
           ARRAY(SELECT phone FROM customer_phone WHERE customer_id = c.id),
           COALESCE((SELECT address_norm FROM premises WHERE customer_id = c.id
                      ORDER BY address_norm = r.address_norm DESC LIMIT 1), NULL)
      FROM pairs JOIN new r ON r.rec_id = pairs.rec_id JOIN customer c ON c.id = pairs.customer_id
     WHERE c.status = 'active' AND (r.id_no IS NULL OR c.id_no IS NULL)
"""


class Clusters:
    """Union-find with the two constraints of the matching rules kept at each root.

    The root of a cluster is its anchor: an existing customer if there is one, else the first record
    with a valid ID number, else the first record."""

    def __init__(self):
        self.parent: dict[int, int] = {}
        self.own_id: dict[int, str] = {}      # node -> its own valid ID number
        self.id_no: dict[int, str] = {}       # root -> the valid ID number in the cluster
        self.best: dict[int, float] = {}      # record -> strongest score link it took part in

    def add(self, node: int, id_no: str | None) -> None:
        if node not in self.parent:
            self.parent[node] = node
            if id_no:
                self.own_id[node] = self.id_no[node] = id_no

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def _anchor_key(self, node: int) -> tuple:
        return node >= 0, node not in self.own_id, node

    def union(self, a: int, b: int) -> bool:
        """Join the clusters of a and b unless that would break a rule; False when refused."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ida, idb = self.id_no.get(ra), self.id_no.get(rb)
        if (ida and idb and ida != idb) or (ra < 0 and rb < 0):
            return False
        root, child = sorted((ra, rb), key=self._anchor_key)
        self.parent[child] = root
        self.id_no.pop(child, None)
        if ida or idb:
            self.id_no[root] = ida or idb
        return True

    def method(self, record: int) -> tuple[str, float | None]:
        """How a record other than its cluster's anchor joined it: one with the cluster's ID number by it; any
        other (it has no valid ID) by its strongest score link."""
        if record in self.own_id:
            return "id_no", 1.0
        return "score", self.best[record]


def match(cur, counts: dict, second=None) -> None:
    """Fill imp_match (records that join another record or a customer) and imp_review. With `second` (a
    cursor on another connection) the candidate pairs by address and by phone and the ID numbers' clusters
    are found on both connections at once, each committed on its own; the staging rows must be committed
    for that."""
    clusters = Clusters()
    reviews: list[tuple[int, int, float, list[str]]] = []

    def pairs_by(statement: str):
        return lambda c: c.execute(statement, {"block_max": BLOCK_MAX})

    def id_clusters(c) -> None:
        c.execute(_ID_GROUPS)
        for rec_ids, id_no in c.fetchall():
            rec_ids.sort()
            for rec_id in rec_ids:
                clusters.add(rec_id, id_no)
                clusters.union(rec_ids[0], rec_id)
        c.execute(_ID_EXISTING)
        for rec_id, customer_id, id_no in c.fetchall():
            clusters.add(rec_id, id_no)
            clusters.add(-customer_id, id_no)
            clusters.union(-customer_id, rec_id)

    # The clusters first: with their Python they are the longest step, and both kinds of pairs fit beside it.
    steps = [Step("ID clusters", id_clusters), Step("address pairs", pairs_by(_ADDRESS_PAIRS)),
             Step("phone pairs", pairs_by(_PHONE_PAIRS))]
    if second is None:  # a sync matches in the run's transaction: in_steps would commit each step
        for step in steps:
            step.work(cur)
    else:
        in_steps([cur, second], steps)
    links: list[tuple[float, int, int, list[str]]] = []
    pairs = 0
    cur.execute("ANALYZE imp_pair")
    for query, other in ((_RECORD_PAIR_SCORING, 1), (_CUSTOMER_PAIRS, -1)):
        cur.execute(query, {"block_max": BLOCK_MAX})
        for a, a_id, a_name, a_phones, a_addr, b, b_id, b_name, b_phones, b_addr in cur:
            pairs += 1
            b *= other
            value, reasons = score(Identity(a_name, a_id, frozenset(a_phones or ()), a_addr),
                                   Identity(b_name, b_id, frozenset(b_phones or ()), b_addr))
            verdict = decide(value)
            if verdict == "link":
                clusters.add(a, a_id)
                clusters.add(b, b_id)
                links.append((value, a, b, reasons))
            elif verdict == "review":
                reviews.append((a, b, value, reasons))
    counts["candidate_pairs"] = pairs
    for value, a, b, reasons in sorted(links, key=lambda link: -link[0]):
        if clusters.union(a, b):
            for node in (a, b):
                clusters.best[node] = max(clusters.best.get(node, 0.0), value)
        else:
            reviews.append((a, b, value, reasons + ["conflicting_link"]))

    writer = CopyWriter(cur, "imp_match", ("rec_id", "cluster", "customer_id", "method", "score"))
    for node in clusters.parent:
        if node > 0:
            root = clusters.find(node)
            # An anchor is placed as a new customer like a record in no cluster: left out, it is half the rows.
            if root != node:
                writer.add((node, root, -root if root < 0 else None, *clusters.method(node)))
    writer.flush()

    writer = CopyWriter(cur, "imp_review", ("node_a", "node_b", "score", "reasons"))
    for a, b, value, reasons in reviews:
        if not (a in clusters.parent and b in clusters.parent and clusters.find(a) == clusters.find(b)):
            writer.add((a, b, value, reasons))
    writer.flush()
