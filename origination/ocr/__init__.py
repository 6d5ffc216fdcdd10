"""Documents that read themselves: the OCR engine (RapidOCR, PP-OCR models shipped inside the
package, nothing downloaded), the per-document field parsers, the forgery and reuse signals
(perceptual hash, EXIF traces), and a generator of sample documents for tests and the bench.

Pure code over images and text: no model is read here. The service that runs it on an
uploaded document and compares the fields with the application is
``origination.services.document_ocr``."""
