"""The versioned model artifact (installed as the package ``spamfilter.models``)."""
