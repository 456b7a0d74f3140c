"""How many clusters a clustered regression has, and what the literature says that allows.

Local to :mod:`synergy_stats.regression` (the package-wide cluster-column validator of the
multilevel work was not yet on this branch): the number of clusters decides whether a
cluster-robust covariance or a random-intercept variance can be estimated at all, and
whether its standard errors can be trusted.
"""

from __future__ import annotations

import warnings

from synergy_stats.errors import DataValidationError, SynergyWarning

__all__ = [
    "FEW_CLUSTERS",
    "FewClustersWarning",
    "check_mixed_groups",
    "check_robust_clusters",
]

FEW_CLUSTERS = 30
"""Below this many clusters the design warnings are raised (see :class:`FewClustersWarning`)."""


class FewClustersWarning(SynergyWarning):
    """A clustered analysis with fewer clusters than its standard errors need.

    Cluster-robust (CR1) standard errors are consistent as the number of clusters G grows;
    with few clusters they are biased downwards and Wald tests over-reject: Cameron,
    Gelbach & Miller (2008) and Cameron & Miller (2015) find rejection rates well above the
    nominal level below about 30-50 clusters and recommend the wild cluster bootstrap or
    t(G - 1) critical values there; Angrist & Pischke (2009, ch. 8) give 42 as a rule of
    thumb. In random-intercept models, Maas & Hox (2005) find the standard errors of the
    group-level variance too small with fewer than about 50 groups (fixed effects are fine
    from about 30), and McNeish & Stapleton (2016) review small-sample corrections (REML,
    Kenward-Roger) for fewer than 30 groups.

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly harmless econometrics*. Princeton
    University Press.
    Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for
    inference with clustered errors. *Review of Economics and Statistics*, 90(3), 414-427.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. *Journal of Human Resources*, 50(2), 317-372.
    Maas, C. J. M., & Hox, J. J. (2005). Sufficient sample sizes for multilevel modeling.
    *Methodology*, 1(3), 86-92.
    McNeish, D. M., & Stapleton, L. M. (2016). The effect of small sample size on two-level
    model estimates: A review and illustration. *Educational Psychology Review*, 28,
    295-314.
    """


def check_robust_clusters(
    n_clusters: int, n_coef: int, *, cluster: str, what: str, stacklevel: int = 4
) -> None:
    """Refuse a cluster-robust covariance that cannot exist; warn when it is unreliable.

    The CR1 covariance sums the outer products of the G cluster score sums, which add up to
    zero at the estimate, so its rank is at most G - 1: with one cluster it is zero (the
    small-sample factor G/(G-1) divides by zero), with two every standard error rests on a
    single direction and can be arbitrarily small.

    Raises
    ------
    DataValidationError
        Fewer than 3 clusters.

    Warns
    -----
    FewClustersWarning
        Fewer than :data:`FEW_CLUSTERS` clusters, or no more clusters than coefficients.
    """
    if n_clusters < 3:
        raise DataValidationError(
            f"{what}: cluster={cluster!r} has {n_clusters} cluster(s) in the rows used; "
            "cluster-robust standard errors need at least 3 (their covariance has rank at "
            f"most G - 1 = {max(n_clusters - 1, 0)}). Use cov_type='HC1' with cluster fixed "
            "effects, or collect more clusters"
        )
    if n_clusters < FEW_CLUSTERS or n_clusters <= n_coef:
        extra = (
            f"; with {n_coef} coefficients the covariance (rank <= {n_clusters - 1}) is "
            "singular and joint tests are not possible"
            if n_clusters <= n_coef
            else ""
        )
        warnings.warn(
            f"{what}: only {n_clusters} clusters in cluster={cluster!r}; cluster-robust "
            f"standard errors are too small and tests over-reject below about "
            f"{FEW_CLUSTERS}-50 clusters (Cameron & Miller 2015){extra}. Consider a wild "
            "cluster bootstrap or t(G - 1) critical values",
            FewClustersWarning,
            stacklevel=stacklevel,
        )


def check_mixed_groups(n_groups: int, *, groups: str) -> None:
    """Refuse a random-intercept model with one group; warn with few groups.

    Raises
    ------
    DataValidationError
        Fewer than 2 groups: a between-group variance is not defined.

    Warns
    -----
    FewClustersWarning
        Fewer than :data:`FEW_CLUSTERS` groups (Maas & Hox 2005; McNeish & Stapleton 2016).
    """
    if n_groups < 2:
        raise DataValidationError(
            f"mixedlm: groups={groups!r} has {n_groups} group(s) in the rows used; a "
            "random-intercept variance needs at least 2 groups (30 or more to be estimated "
            "well). Use regress() for a single group"
        )
    if n_groups < FEW_CLUSTERS:
        warnings.warn(
            f"mixedlm: only {n_groups} groups in groups={groups!r}; below about "
            f"{FEW_CLUSTERS} groups the fixed-effect standard errors, and below about 50 the "
            "standard error of the group variance, are too small (Maas & Hox 2005; McNeish "
            "& Stapleton 2016)",
            FewClustersWarning,
            stacklevel=3,
        )
