"""The file store: uploaded and generated files live outside the database, which keeps
their name, size, hash and key (StoredFile). A local directory by default, any
S3-compatible storage by configuration (FILES_STORE)."""
