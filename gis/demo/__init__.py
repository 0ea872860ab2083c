"""The demo dataset: a Hữu Nghị – Chi Lăng expressway with its communes, cadastre, households,
a generated history of steps, money and notes, capital and committee figures, loaded into
PostGIS in one transaction with bulk COPY (``load``). Only ``gpmb demo`` and tests use it."""
