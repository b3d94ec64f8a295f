"""Pre-deployment checks: the live rules applied to what ARM JSON templates, Bicep files and what-if results would
deploy (issue 13). Readers turn each input into ``TemplateFile``s of ``TemplateResource``s; nothing here calls Azure
unless ``--live`` asks."""
