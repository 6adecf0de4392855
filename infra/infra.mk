# Deploying to AWS (docs/DEPLOY.md). Included from the Makefile: `include infra/infra.mk`.
#
#   make package        build/package/{sam.yaml,deployment.zip}: offline, no AWS credentials
#   make infra-check    cfn-lint on the packaged template, plus the infra tests
#   make deploy         package, upload, deploy the stack, upload the page, invalidate the CDN
#   make destroy        delete the stack (table and buckets are RETAINED; see docs/DEPLOY.md)
#
# Settings come from the environment (or `make VAR=value`):
#   AWS_REGION      region of the stack (default eu-west-1)
#   STAGE           Chalice stage to package (default prod)
#   STACK           CloudFormation stack name (default undersigned-$(STAGE))
#   ARTIFACT_BUCKET an existing S3 bucket, in AWS_REGION, for the Lambda zip (deploy only)
#   SES_IDENTITY    domain or address confirmation mail is sent from (deploy only)
#   MAIL_FROM       From header, e.g. "Undersigned <no-reply@example.org>" (deploy only)
#   PARAMS          further Parameter=Value overrides, e.g. "AlarmEmail=ops@example.org EnableWaf=true"
#   SNAPSHOT_HOUR_UTC, RETENTION_HOUR_UTC   hours (UTC) of the scheduled jobs, read by
#                   `chalice package` from the environment (defaults 2 and 3; docs/DEPLOY.md)

INFRA_PY ?= .venv/bin/python
CHALICE ?= .venv/bin/chalice
CFN_LINT ?= .venv/bin/cfn-lint
AWS ?= aws
AWS_REGION ?= eu-west-1
STAGE ?= prod
STACK ?= undersigned-$(STAGE)
PACKAGE_DIR ?= build/package
ARTIFACT_BUCKET ?=
SES_IDENTITY ?=
MAIL_FROM ?=
PARAMS ?=

.PHONY: package infra-check cfn-lint deploy destroy

# chalice package reads no credentials; the dummies keep boto from looking for real ones.
package: $(PY_STAMP)
	rm -rf $(PACKAGE_DIR)
	AWS_DEFAULT_REGION=$(AWS_REGION) AWS_REGION=$(AWS_REGION) \
	AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-offline} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-offline} \
	  $(CHALICE) package --stage $(STAGE) --merge-template infra/resources.yaml $(PACKAGE_DIR)
	@ls -l $(PACKAGE_DIR)

cfn-lint: package
	$(CFN_LINT) --regions $(AWS_REGION) -- $(PACKAGE_DIR)/sam.yaml

infra-check:
	$(INFRA_PY) -m pytest tests/infra -q

deploy: package
	@test -n "$(ARTIFACT_BUCKET)" || { echo "set ARTIFACT_BUCKET (an S3 bucket in $(AWS_REGION) for the Lambda zip)"; exit 1; }
	@test -n "$(SES_IDENTITY)" || { echo "set SES_IDENTITY (domain or address mail is sent from)"; exit 1; }
	@test -n "$(MAIL_FROM)" || { echo "set MAIL_FROM, e.g. 'Undersigned <no-reply@example.org>'"; exit 1; }
	$(AWS) cloudformation package --region $(AWS_REGION) --template-file $(PACKAGE_DIR)/sam.yaml \
	  --s3-bucket $(ARTIFACT_BUCKET) --s3-prefix $(STACK) --output-template-file $(PACKAGE_DIR)/packaged.yaml
	@site="$$($(AWS) cloudformation describe-stacks --region $(AWS_REGION) --stack-name $(STACK) \
	    --query "Stacks[0].Parameters[?ParameterKey=='SiteUrl'].ParameterValue" --output text 2>/dev/null)"; \
	  case "$$site" in None) site="";; esac; \
	  set -x; $(AWS) cloudformation deploy --region $(AWS_REGION) --stack-name $(STACK) \
	    --template-file $(PACKAGE_DIR)/packaged.yaml --s3-bucket $(ARTIFACT_BUCKET) --s3-prefix $(STACK) \
	    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
	    --parameter-overrides "SesIdentity=$(SES_IDENTITY)" "MailFrom=$(MAIL_FROM)" "SiteUrl=$$site" $(PARAMS)
	@# First deploy: the site URL (the CloudFront domain) exists only now; pass it back once.
	@out() { $(AWS) cloudformation describe-stacks --region $(AWS_REGION) --stack-name $(STACK) \
	    --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	  site="$$(out SiteUrl)"; \
	  current="$$($(AWS) cloudformation describe-stacks --region $(AWS_REGION) --stack-name $(STACK) \
	    --query "Stacks[0].Parameters[?ParameterKey=='SiteUrl'].ParameterValue" --output text)"; \
	  if [ "$$current" != "$$site" ]; then \
	    set -x; $(AWS) cloudformation deploy --region $(AWS_REGION) --stack-name $(STACK) \
	      --template-file $(PACKAGE_DIR)/packaged.yaml --s3-bucket $(ARTIFACT_BUCKET) --s3-prefix $(STACK) \
	      --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
	      --parameter-overrides "SesIdentity=$(SES_IDENTITY)" "MailFrom=$(MAIL_FROM)" "SiteUrl=$$site" $(PARAMS); \
	    set +x; \
	  fi; \
	  bucket="$$(out PageBucketName)"; dist="$$(out DistributionId)"; \
	  set -x; \
	  $(AWS) s3 sync frontend/ "s3://$$bucket/" --region $(AWS_REGION) --delete --exclude ".*" && \
	  $(AWS) cloudfront create-invalidation --distribution-id "$$dist" --paths "/*" >/dev/null && \
	  set +x && echo "Site: $$site"

destroy:
	@echo "Deleting stack $(STACK) in $(AWS_REGION)."
	@echo "RETAINED (by DeletionPolicy, and billed until you delete them by hand): the DynamoDB table"
	@echo "(deletion protection on), the exports bucket and the page bucket. See docs/DEPLOY.md."
	@read -r -p "Type the stack name to confirm: " answer && [ "$$answer" = "$(STACK)" ]
	$(AWS) cloudformation delete-stack --region $(AWS_REGION) --stack-name $(STACK)
	$(AWS) cloudformation wait stack-delete-complete --region $(AWS_REGION) --stack-name $(STACK)
