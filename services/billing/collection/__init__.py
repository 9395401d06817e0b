"""Bank collection file formats: each bank's own offer and return files (configured in banks/),
and ISO 20022 pain.008 / pain.002 / camt.054. Pure: no database, no broker."""
from .accounts import InvalidAccountNumber, validate_account_number
from .detect import read_result_file
from .iso20022 import (Creditor, InvalidGeneratedFile, read_camt054, read_pain002, write_camt054,
                       write_pain002, write_pain008)
from .layouts import BankLayout, LayoutError, all_layouts, load_layout
from .model import (DebitLine, FileError, FileRejected, FileTotals, OfferBatch, OfferLineError,
                    ReturnFile, ReturnLine)
from .offer import read_offer, write_offer
from .reasons import REASONS, Reason, iso_reason
from .returns import read_return, write_return

__all__ = [
    "BankLayout", "Creditor", "DebitLine", "FileError", "FileRejected", "FileTotals",
    "InvalidAccountNumber", "InvalidGeneratedFile", "LayoutError", "OfferBatch", "OfferLineError",
    "REASONS", "Reason", "ReturnFile", "ReturnLine", "all_layouts", "iso_reason", "load_layout",
    "read_camt054", "read_offer", "read_pain002", "read_result_file", "read_return", "validate_account_number",
    "write_camt054", "write_offer", "write_pain002", "write_pain008", "write_return",
]
