#!/usr/bin/env python3
"""Derive, check and print the Winograd matrices of repconv's 3x3 kernels.

    python3 tools/gen_winograd.py > kernels/winograd/wino_matrices.h
    python3 tools/gen_winograd.py --check      # checks only, prints a summary

Standard library only. Arithmetic is exact, in Q(sqrt 2): every number is a
pair of fractions.Fraction (a, b) meaning a + b*sqrt(2), so the F(4,3) points
{0, +-sqrt2, +-sqrt2/2, inf} are handled as exactly as the rational ones.

Construction (Toom-Cook, transposed; Lavin & Gray 2015, wincnn). For F(m, r)
with alpha = m + r - 1, finite points p_0..p_{alpha-2} and infinity:
  - the product h = g*e of a degree r-1 filter polynomial and a degree m-1
    polynomial is evaluated at the points, multiplied pointwise and
    interpolated:  h = C [(G g) (.) (A e)],
      A[j][i] = p_j^i              (A[inf][i] = [i == m-1])
      G[j][k] = p_j^k / f_j,  f_j = prod_{l != j} (p_j - p_l)   (G[inf] = [0..0 1])
      C[n][j] = coefficient of x^n in prod_{l != j} (x - p_l)  (C[.][inf]: of
                prod_l (x - p_l))
  - transposing the bilinear form sum_n d_n h_n gives the valid correlation
    y_i = sum_k d_{i+k} g_k = A^T [(G g) (.) (B^T d)] with B^T = C^T.
The script then checks exactly, for every basis d = e_n, g = e_k, that
A^T[(G e_k) (.) (B^T e_n)] = e_{n-k} restricted to 0 <= n-k < m (which is the
trilinear identity sum_j AT[i][j] G[j][k] BT[j][n] = [n == i + k], i.e. the
identity on generic symbolic d and g), and the 2-D form
Y = A^T [(G g G^T) (.) (B^T d B)] A on a random integer d, g against a direct
2-D correlation, also exactly.
"""
import random
import sys
from decimal import Decimal, getcontext
from fractions import Fraction

getcontext().prec = 60


class Q2:
    """a + b*sqrt(2), a and b Fractions. Exact field arithmetic."""

    __slots__ = ("a", "b")

    def __init__(self, a, b=0):
        self.a = Fraction(a)
        self.b = Fraction(b)

    @staticmethod
    def of(x):
        return x if isinstance(x, Q2) else Q2(x)

    def __add__(self, o):
        o = Q2.of(o)
        return Q2(self.a + o.a, self.b + o.b)

    __radd__ = __add__

    def __neg__(self):
        return Q2(-self.a, -self.b)

    def __sub__(self, o):
        return self + (-Q2.of(o))

    def __rsub__(self, o):
        return Q2.of(o) - self

    def __mul__(self, o):
        o = Q2.of(o)
        return Q2(self.a * o.a + 2 * self.b * o.b, self.a * o.b + self.b * o.a)

    __rmul__ = __mul__

    def inv(self):
        n = self.a * self.a - 2 * self.b * self.b  # nonzero for a+b*sqrt2 != 0 (sqrt2 irrational)
        if n == 0:
            raise ZeroDivisionError("Q2 zero")
        return Q2(self.a / n, -self.b / n)

    def __truediv__(self, o):
        return self * Q2.of(o).inv()

    def __eq__(self, o):
        o = Q2.of(o)
        return self.a == o.a and self.b == o.b

    def __hash__(self):
        return hash((self.a, self.b))

    def is_zero(self):
        return self.a == 0 and self.b == 0

    def to_decimal(self):
        s2 = Decimal(2).sqrt()
        return Decimal(self.a.numerator) / Decimal(self.a.denominator) + \
            Decimal(self.b.numerator) / Decimal(self.b.denominator) * s2

    def c_double(self):
        """Correctly rounded double (from a 60-digit decimal), as a C literal."""
        v = float(self.to_decimal())
        if v == 0.0:
            return "0.0"
        r = repr(v)
        if "e" not in r and "." not in r and "inf" not in r:
            r += ".0"
        return r

    def __str__(self):
        def frac(f):
            return str(f.numerator) if f.denominator == 1 else "%d/%d" % (f.numerator, f.denominator)

        if self.b == 0:
            return frac(self.a)
        bs = "sqrt2" if self.b == 1 else ("-sqrt2" if self.b == -1 else frac(self.b) + "*sqrt2")
        if self.a == 0:
            return bs
        return "%s%s%s" % (frac(self.a), "" if bs.startswith("-") else "+", bs)


SQRT2 = Q2(0, 1)


def poly_from_roots(roots):
    """Coefficients (lowest degree first) of prod (x - r)."""
    c = [Q2(1)]
    for r in roots:
        n = [Q2(0)] * (len(c) + 1)
        for i, ci in enumerate(c):
            n[i + 1] = n[i + 1] + ci
            n[i] = n[i] - ci * r
        c = n
    return c


def power(x, k):
    p = Q2(1)
    for _ in range(k):
        p = p * x
    return p


def derive(m, r, points):
    """points: the alpha-1 finite points (Q2); infinity is implied (last)."""
    alpha = m + r - 1
    assert len(points) == alpha - 1 and len(set(points)) == len(points)
    AT = [[Q2(0)] * alpha for _ in range(m)]
    G = [[Q2(0)] * r for _ in range(alpha)]
    BT = [[Q2(0)] * alpha for _ in range(alpha)]
    for j, p in enumerate(points):
        others = [q for l, q in enumerate(points) if l != j]
        f = Q2(1)
        for q in others:
            f = f * (p - q)
        for i in range(m):
            AT[i][j] = power(p, i)
        for k in range(r):
            G[j][k] = power(p, k) / f
        BT[j] = poly_from_roots(others) + [Q2(0)]
        # Cosmetic: move the sign so B^T row j starts positive (G row j absorbs it).
        lead = next(v for v in BT[j] if not v.is_zero())
        if lead.to_decimal() < 0:
            BT[j] = [-v for v in BT[j]]
            G[j] = [-v for v in G[j]]
    AT[m - 1][alpha - 1] = Q2(1)
    G[alpha - 1][r - 1] = Q2(1)
    BT[alpha - 1] = poly_from_roots(points)
    return AT, G, BT


def check_1d(m, r, AT, G, BT, stride=1):
    alpha = len(BT)
    for i in range(m):
        for k in range(r):
            for n in range(alpha):
                s = Q2(0)
                for j in range(alpha):
                    s = s + AT[i][j] * G[j][k] * BT[j][n]
                want = Q2(1 if n == stride * i + k else 0)
                if not s == want:
                    raise AssertionError("1-D identity fails at i=%d k=%d n=%d: %s" % (i, k, n, s))


def matmul(X, Y):
    return [[sum((X[i][k] * Y[k][j] for k in range(len(Y))), Q2(0)) for j in range(len(Y[0]))]
            for i in range(len(X))]


def transpose(X):
    return [list(col) for col in zip(*X)]


def check_2d(m, r, AT, G, BT, rng, stride=1):
    alpha = len(BT)
    for _ in range(3):
        d = [[Q2(rng.randint(-9, 9)) for _ in range(alpha)] for _ in range(alpha)]
        g = [[Q2(rng.randint(-9, 9)) for _ in range(r)] for _ in range(r)]
        U = matmul(matmul(G, g), transpose(G))
        V = matmul(matmul(BT, d), transpose(BT))
        Mh = [[U[i][j] * V[i][j] for j in range(alpha)] for i in range(alpha)]
        Y = matmul(matmul(AT, Mh), transpose(AT))
        for y in range(m):
            for x in range(m):
                want = sum((d[stride * y + a][stride * x + b] * g[a][b] for a in range(r) for b in range(r)),
                           Q2(0))
                if not Y[y][x] == want:
                    raise AssertionError("2-D check fails at (%d,%d): %s != %s" % (y, x, Y[y][x], want))


VARIANTS = [
    # name, m, points (finite), description
    ("23", 2, [Q2(0), Q2(1), Q2(-1)], "points 0, 1, -1, inf"),
    ("43", 4, [Q2(0), SQRT2, -SQRT2, SQRT2 / 2, -SQRT2 / 2], "points 0, sqrt2, -sqrt2, sqrt2/2, -sqrt2/2, inf"),
    ("63", 6, [Q2(0), Q2(1), Q2(-1), Q2(2), Q2(-2), Q2(Fraction(1, 2)), Q2(Fraction(-1, 2))],
     "points 0, 1, -1, 2, -2, 1/2, -1/2, inf"),
]


def derive_stride2(m, points):
    """Stride 2, 3-tap filter, m outputs from an input window of 2m + 1
    (polyphase): y_i = g0 d_2i + g1 d_2i+1 + g2 d_2i+2 is F(m, 2) with taps
    (g0, g2) on the even samples (m + 1 points: `points` and infinity) plus
    F(m, 1), the identity, with tap g1 on the odd ones (m points). The
    points of both are the 2m + 1 positions of one alpha = 2m + 1 transform:
    even point j reads even samples, odd point q sample 2q + 1."""
    ATe, Ge, BTe = derive(m, 2, points)
    alpha = 2 * m + 1
    AT = [ATe[i] + [Q2(1 if q == i else 0) for q in range(m)] for i in range(m)]
    G = [[Ge[j][0], Q2(0), Ge[j][1]] for j in range(m + 1)] + [[Q2(0), Q2(1), Q2(0)] for _ in range(m)]
    BT = [[BTe[j][n // 2] if n % 2 == 0 else Q2(0) for n in range(alpha)] for j in range(m + 1)]
    BT += [[Q2(1 if n == 2 * q + 1 else 0) for n in range(alpha)] for q in range(m)]
    return AT, G, BT


def derive_nested(m, parent, positions):
    """F(m, 3) on a subset of a larger variant's points, with the larger
    variant's G rows (same scaling and sign), so both read one U: a border
    tile of m outputs uses U at `positions` (indices into the parent's
    points, infinity last). Toom-Cook over the subset, then each row j of G
    scaled to the parent's and row j of B^T by the inverse, which keeps
    every product G[j][k] * BT[j][n] and so the identity."""
    _, pm, ppoints, _ = next(v for v in VARIANTS if v[0] == parent)
    _, PG, _ = derive(pm, 3, ppoints)
    alpha = m + 2
    assert len(positions) == alpha and positions[-1] == len(ppoints)
    AT, G, BT = derive(m, 3, [ppoints[i] for i in positions[:-1]])
    to_parent_rows(G, BT, PG, positions)
    return AT, G, BT


def to_parent_rows(G, BT, PG, positions):
    """Row j of G becomes the parent's row positions[j] (it must be
    proportional) and row j of B^T is divided by the same factor."""
    for j, pj in enumerate(positions):
        k = next(k for k in range(3) if not G[j][k].is_zero())
        lam = PG[pj][k] / G[j][k]  # G row j times lam is the parent's row
        assert all(G[j][c] * lam == PG[pj][c] for c in range(3)), "rows not proportional"
        G[j] = [PG[pj][c] for c in range(3)]
        BT[j] = [v / lam for v in BT[j]]


def derive_nested_s2(m, parent, positions):
    """A stride-2 variant of m outputs on a subset of a larger stride-2
    variant's points, with its G rows: the even phase on the parent's even
    points at positions[:m + 1] (infinity, the parent's index m_p, last),
    the odd phase on m of the parent's odd ones (all of whose G rows are
    (0, 1, 0)). Row scaling as in derive_nested."""
    _, pm, ppoints, _ = next(v for v in VARIANTS_S2 if v[0] == parent)
    _, PG, _ = derive_stride2(pm, ppoints)
    assert len(positions) == 2 * m + 1 and positions[m] == pm and all(p > pm for p in positions[m + 1:])
    AT, G, BT = derive_stride2(m, [ppoints[i] for i in positions[:m]])
    to_parent_rows(G, BT, PG, positions)
    return AT, G, BT


# Nested variants: name, m, parent, positions in the parent's points, description.
# The border tiles of an axis whose output is a few pixels past a multiple
# of the parent's m: F(2,3)'s of 1 output (a 7x7 output is 2 + 2 + 2 + 1:
# 15^2 products a channel pair instead of 16^2), F(4,3)'s of 1-2 outputs (a
# 14x14 output is 4 + 4 + 4 + 2: 22^2 instead of 24^2), F(6,3)'s of 1-2 and
# 3-4 (56 = 9*6 + 2, 28 = 4*6 + 4). F(4,3)'s subset {0, +-sqrt2} gives
# smaller transform entries than {0, +-sqrt2/2}.
VARIANTS_NESTED = [
    ("23N1", 1, "23", [0, 1, 3], "F(2,3)'s points 0, 1, inf with its G"),
    ("43N2", 2, "43", [0, 1, 2, 5], "F(4,3)'s points 0, sqrt2, -sqrt2, inf with its G"),
    ("63N2", 2, "63", [0, 1, 2, 7], "F(6,3)'s points 0, 1, -1, inf with its G"),
    ("63N4", 4, "63", [0, 1, 2, 3, 4, 7], "F(6,3)'s points 0, 1, -1, 2, -2, inf with its G"),
]


# Stride-2 variants: name, m, F(m, 2)'s finite points, description.
VARIANTS_S2 = [
    ("23S2", 2, [Q2(0), Q2(1)], "F(2,2) on the even phase (points 0, 1, inf), 1 on the odd"),
    # 81 products for 16 outputs against F(2,3) stride 2's 100. Of the point
    # sets {0, 1, -1, x} for x in 2, -2, 1/2, -1/2 (and sqrt2's), all within
    # 2x of one another in fp32 (max error over random 64-channel tiles
    # 1.1e-6 to 3.2e-6 of the output's maximum); 1/2 keeps A^T's entries
    # small and took 1.4e-6.
    ("43S2", 4, [Q2(0), Q2(1), Q2(-1), Q2(Fraction(1, 2))],
     "F(4,2) on the even phase (points 0, 1, -1, 1/2, inf), 1 on the odd"),
]


# Nested stride-2 variants, as VARIANTS_NESTED: F(2,3) stride 2's border
# tile of 1 output (a 7x7 output at stride 2, RepVGG's and ResNet's last
# stage, is 2 + 2 + 2 + 1: 18^2 products a channel pair instead of 20^2).
VARIANTS_NESTED_S2 = [
    ("23S2N1", 1, "23S2", [0, 2, 3], "F(2,3) stride 2's points 0, inf (even) and its first odd one, with its G"),
]


def c_matrix(name, M, comment):
    rows = len(M)
    cols = len(M[0])
    out = ["/* %s (%dx%d). Exact values:" % (comment, rows, cols)]
    for row in M:
        out.append(" *   [ " + ", ".join(str(v) for v in row) + " ]")
    out.append(" */")
    out.append("#define %s_ROWS %d" % (name, rows))
    out.append("#define %s_COLS %d" % (name, cols))
    out.append("#define %s_INIT \\" % name)
    out.append("  { \\")
    for i, row in enumerate(M):
        out.append("    { " + ", ".join(v.c_double() for v in row) + " }" + ("," if i + 1 < rows else "") + " \\")
    out.append("  }")
    return "\n".join(out)


def main(argv):
    rng = random.Random(20240603)
    blocks = []
    for name, m, points, desc in VARIANTS:
        r = 3
        AT, G, BT = derive(m, r, points)
        check_1d(m, r, AT, G, BT)
        check_2d(m, r, AT, G, BT, rng)
        if "--check" in argv:
            print("F(%d,3) %s: 1-D identity and 2-D check exact: OK" % (m, desc))
            continue
        pre = "RC_WINO%s" % name
        blocks.append("/* ---- F(%dx%d, 3x3): alpha = %d, %s ---- */\n#define %s_M %d\n#define %s_ALPHA %d\n"
                      % (m, m, m + 2, desc, pre, m, pre, m + 2) + "\n"
                      + c_matrix(pre + "_AT", AT, "A^T, output transform") + "\n\n"
                      + c_matrix(pre + "_G", G, "G, filter transform") + "\n\n"
                      + c_matrix(pre + "_BT", BT, "B^T, input transform"))
    for name, m, points, desc in VARIANTS_S2:
        AT, G, BT = derive_stride2(m, points)
        check_1d(m, 3, AT, G, BT, 2)
        check_2d(m, 3, AT, G, BT, rng, 2)
        alpha = 2 * m + 1
        if "--check" in argv:
            print("F(%d,3) %s: 1-D identity and 2-D check exact: OK" % (m, desc))
            continue
        pre = "RC_WINO%s" % name
        blocks.append("/* ---- F(%dx%d, 3x3), stride 2: alpha = %d, %s ---- */\n#define %s_M %d\n#define %s_ALPHA %d\n"
                      % (m, m, alpha, desc, pre, m, pre, alpha) + "\n"
                      + c_matrix(pre + "_AT", AT, "A^T, output transform") + "\n\n"
                      + c_matrix(pre + "_G", G, "G, filter transform") + "\n\n"
                      + c_matrix(pre + "_BT", BT, "B^T, input transform"))
    nested = [(v, derive_nested, 1, "F(%s,3)" % v[2][0], "") for v in VARIANTS_NESTED]
    nested += [(v, derive_nested_s2, 2, v[2], ", stride 2,") for v in VARIANTS_NESTED_S2]
    for (name, m, parent, positions, desc), derive_fn, stride, pname, kind in nested:
        AT, G, BT = derive_fn(m, parent, positions)
        check_1d(m, 3, AT, G, BT, stride)
        check_2d(m, 3, AT, G, BT, rng, stride)
        alpha = stride * (m - 1) + 3
        if "--check" in argv:
            print("F(%d,3)%s nested in %s: %s: 1-D identity and 2-D check exact: OK" % (m, kind, pname, desc))
            continue
        pre = "RC_WINO%s" % name
        blocks.append("/* ---- F(%dx%d, 3x3)%s nested in %s: alpha = %d, %s ---- */\n#define %s_M %d\n"
                      "#define %s_ALPHA %d\n/* Its positions among the parent's alpha points. */\n"
                      "#define %s_POS_INIT { %s }\n"
                      % (m, m, kind, pname, alpha, desc, pre, m, pre, alpha, pre, ", ".join(map(str, positions)))
                      + "\n" + c_matrix(pre + "_AT", AT, "A^T, output transform") + "\n\n"
                      + c_matrix(pre + "_G", G, "G, filter transform (the parent's rows)") + "\n\n"
                      + c_matrix(pre + "_BT", BT, "B^T, input transform"))
    if "--check" in argv:
        return 0
    sys.stdout.write(
        "/* GENERATED by tools/gen_winograd.py -- do not edit.\n"
        " * Regenerate: python3 tools/gen_winograd.py > kernels/winograd/wino_matrices.h\n"
        " *\n"
        " * Winograd F(m x m, 3x3) matrices for the valid 2-D correlation of an\n"
        " * alpha x alpha tile d with a 3x3 filter g (alpha = m + 2; for the\n"
        " * stride-2 variants, *S2, the correlation at stride 2, alpha = 2m + 1):\n"
        " *     Y = A^T [ (G g G^T) (.) (B^T d B) ] A\n"
        " * derived in exact Q(sqrt2) arithmetic and checked exactly by the script\n"
        " * (1-D trilinear identity on all basis vectors, 2-D form on random integer\n"
        " * tiles). Each *_INIT macro is a C initialiser of double literals (the\n"
        " * correctly rounded value of the exact entry shown in the comment), so a\n"
        " * kernel can declare `static const float x[R][C] = RC_WINO63_BT_INIT;`. */\n"
        "#ifndef RC_WINO_MATRICES_H\n#define RC_WINO_MATRICES_H\n\n"
        + "\n\n".join(blocks) + "\n\n#endif\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
