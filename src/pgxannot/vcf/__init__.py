"""Reading VCF/BCF files into genotype arrays: the only package that touches VCF files.

Everything it hands on is numpy arrays (:class:`~pgxannot.vcf.model.SiteGenotypes`) or
:class:`~pgxannot.vcf.model.VariantRecord` with the genotypes of all selected samples;
see :mod:`pgxannot.vcf.model` for the conventions. One module per concern:

* :mod:`~pgxannot.vcf.header` kind of file, header facts, build and sample checks;
* :mod:`~pgxannot.vcf.genome` chromosome names and build facts;
* :mod:`~pgxannot.vcf.handle` opening a file with cyvcf2 (the one open/error wrapper),
  region queries, sample order;
* :mod:`~pgxannot.vcf.index` using or building indexes (the one place pysam is called);
* :mod:`~pgxannot.vcf.records` checks and decoding of one record;
* :mod:`~pgxannot.vcf.sites` genotypes at requested sites (pharmacogene positions);
* :mod:`~pgxannot.vcf.variants` every variant record of some regions (risk screens);
* :mod:`~pgxannot.vcf.normalize` allele trimming and re-expression;
* :mod:`~pgxannot.vcf.probe` what a VCF holds at the PGx positions, read in seconds (checks);
* :mod:`~pgxannot.vcf.build` the genome build decided from the REF alleles (one pure function).

Reading strategy
----------------
* Indexed (``.tbi``/``.csi`` beside a bgzipped VCF or BCF): region queries only.
* Bgzipped without an index: an index is built once into ``index_dir`` (the
  workflow's work folder; never beside the user's file) and then queried.
* Plain or plain-gzip text: streamed once, records outside the wanted
  positions skipped before their genotypes are decoded (``lazy`` parsing); large
  ones are recompressed to an indexed BGZF copy in ``index_dir`` first.
"""
