"""Compensation per household (hồ sơ bồi thường theo hộ): approved plans as itemised
decisions, payees, the payment and deposit ledger, late-payment interest (Land Law 2024
Art. 94). Functions run in the caller's transaction, as in ``gis.workflow.service``.
"""
