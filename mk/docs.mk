# The pictures in docs/, each made by the test that checks it (SCREENSHOTS=1
# writes them into docs/ instead of a temporary folder; without it, each test
# compares what it makes with the copy in docs/: tests/docs_images.py):
# GraphiQL, the dashboard and the session page in headless Chromium, and the
# partner notebook's figures, all against live servers on loopback.
.PHONY: docs-images

DOCS_IMAGE_TESTS := tests/browser/test_real_app.py tests/browser/test_session_page.py \
                    tests/browser/test_notebook.py

docs-images: $(STAMP) graphiql-assets chromium
	SCREENSHOTS=1 $(BIN)/pytest -p no:cacheprovider $(DOCS_IMAGE_TESTS)
