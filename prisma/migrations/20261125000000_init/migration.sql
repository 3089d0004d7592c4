-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Cohort" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "registrationDeadline" TIMESTAMP(3) NOT NULL,
    "paymentDeadline" TIMESTAMP(3),
    "policy" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Cohort_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Registration" (
    "applicationNo" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "cohortId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "personalEmail" TEXT NOT NULL,
    "universityEmail" TEXT,
    "programCode" TEXT NOT NULL,
    "studyLevel" TEXT NOT NULL,
    "admissionRoute" TEXT,
    "residency" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "outcomeReason" TEXT,
    "registrationDeadline" TIMESTAMP(3) NOT NULL,
    "paymentDeadline" TIMESTAMP(3),
    "outstandingItems" TEXT[],
    "cardReady" BOOLEAN NOT NULL DEFAULT false,
    "outcomeAt" TIMESTAMP(3),
    "compulsoryInAt" TIMESTAMP(3),
    "personalEmailProblem" TEXT,
    "seq" INTEGER NOT NULL DEFAULT 0,
    "changeNo" BIGSERIAL NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Registration_pkey" PRIMARY KEY ("applicationNo")
);

-- CreateTable
CREATE TABLE "StatusSnapshot" (
    "applicationNo" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "view" TEXT NOT NULL,

    CONSTRAINT "StatusSnapshot_pkey" PRIMARY KEY ("applicationNo")
);

-- CreateTable
CREATE TABLE "ChecklistItem" (
    "registrationNo" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "compulsory" BOOLEAN NOT NULL,
    "state" TEXT NOT NULL,
    "submittedAt" TIMESTAMP(3),
    "reviewedAt" TIMESTAMP(3),
    "expectedVerificationBy" TIMESTAMP(3),
    "rejectionReason" TEXT,
    "rejectionNote" TEXT,
    "flag" TEXT,
    "cohortId" TEXT NOT NULL,
    "programCode" TEXT NOT NULL,
    "studyLevel" TEXT NOT NULL,
    "registrationStatus" TEXT NOT NULL,

    CONSTRAINT "ChecklistItem_pkey" PRIMARY KEY ("registrationNo","key")
);

-- CreateTable
CREATE TABLE "OutstandingItemCount" (
    "cohortId" TEXT NOT NULL,
    "programCode" TEXT NOT NULL,
    "studyLevel" TEXT NOT NULL,
    "itemKey" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "compulsory" BOOLEAN NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "OutstandingItemCount_pkey" PRIMARY KEY ("cohortId","programCode","studyLevel","itemKey","state","kind","label","compulsory")
);

-- CreateTable
CREATE TABLE "Document" (
    "id" TEXT NOT NULL,
    "registrationNo" TEXT NOT NULL,
    "itemKey" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "page" INTEGER NOT NULL DEFAULT 1,
    "removedAt" TIMESTAMP(3),
    "sha256" TEXT NOT NULL,
    "originalName" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "mediaType" TEXT NOT NULL,
    "uploadedBy" TEXT NOT NULL,
    "uploadedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Document_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RateLimitHit" (
    "key" TEXT NOT NULL,
    "hits" INTEGER NOT NULL,
    "resetAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RateLimitHit_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "ImportRow" (
    "importId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "input" JSONB NOT NULL,

    CONSTRAINT "ImportRow_pkey" PRIMARY KEY ("importId","index")
);

-- CreateTable
CREATE TABLE "StoredFile" (
    "sha256" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "mediaType" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastReceivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "pending" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "StoredFile_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "Review" (
    "id" TEXT NOT NULL,
    "registrationNo" TEXT NOT NULL,
    "itemKey" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "reasonCode" TEXT,
    "note" TEXT,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "seq" INTEGER NOT NULL,

    CONSTRAINT "Review_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "registrationNo" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "data" JSONB NOT NULL,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("registrationNo","seq")
);

-- CreateTable
CREATE TABLE "LateEvent" (
    "registrationNo" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "registrationStatus" TEXT NOT NULL,
    "outcomeReason" TEXT,
    "deliveryKey" TEXT,
    "data" JSONB NOT NULL,

    CONSTRAINT "LateEvent_pkey" PRIMARY KEY ("registrationNo","seq")
);

-- CreateTable
CREATE TABLE "EmailLog" (
    "idempotencyKey" TEXT NOT NULL,
    "registrationNo" TEXT,
    "kind" TEXT NOT NULL,
    "recipients" TEXT[],
    "subject" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "providerId" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "EmailLog_pkey" PRIMARY KEY ("idempotencyKey")
);

-- CreateTable
CREATE TABLE "StaffApiKey" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "StaffApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImportJob" (
    "id" TEXT NOT NULL,
    "cohortId" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "total" INTEGER NOT NULL,
    "started" INTEGER NOT NULL,
    "existing" INTEGER NOT NULL,
    "rejected" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" TEXT NOT NULL DEFAULT 'RUNNING',
    "failed" INTEGER NOT NULL DEFAULT 0,
    "failures" JSONB NOT NULL DEFAULT '[]',
    "source" TEXT,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "ImportJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmailEvent" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "providerId" TEXT,
    "idempotencyKey" TEXT,
    "registrationNo" TEXT,
    "at" TIMESTAMP(3) NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "data" JSONB NOT NULL,

    CONSTRAINT "EmailEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmailDelivery" (
    "providerId" TEXT NOT NULL,
    "idempotencyKey" TEXT,
    "registrationNo" TEXT,
    "kind" TEXT,
    "recipients" TEXT[],
    "state" TEXT NOT NULL,
    "bounceType" TEXT,
    "detail" TEXT,
    "lastEventAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EmailDelivery_pkey" PRIMARY KEY ("providerId")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UniversityAccountClaim" (
    "universityEmail" TEXT NOT NULL,
    "applicationNo" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "claimedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UniversityAccountClaim_pkey" PRIMARY KEY ("universityEmail")
);

-- CreateTable
CREATE TABLE "StudentAccess" (
    "applicationNo" TEXT NOT NULL,
    "linksValidFrom" TIMESTAMP(3),
    "sessionsValidFrom" TIMESTAMP(3),
    "revokedBy" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StudentAccess_pkey" PRIMARY KEY ("applicationNo")
);

-- CreateTable
CREATE TABLE "ReviewClaim" (
    "registrationNo" TEXT NOT NULL,
    "itemKey" TEXT NOT NULL,
    "claimant" TEXT NOT NULL,
    "claimantName" TEXT NOT NULL,
    "claimedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReviewClaim_pkey" PRIMARY KEY ("registrationNo","itemKey")
);

-- CreateTable
CREATE TABLE "StaffSession" (
    "tokenHash" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "StaffSession_pkey" PRIMARY KEY ("tokenHash")
);

-- CreateIndex
CREATE UNIQUE INDEX "Registration_workflowId_key" ON "Registration"("workflowId");

-- CreateIndex
CREATE UNIQUE INDEX "Registration_universityEmail_key" ON "Registration"("universityEmail");

-- CreateIndex
CREATE INDEX "Registration_status_programCode_idx" ON "Registration"("status", "programCode");

-- CreateIndex
CREATE INDEX "Registration_cohortId_idx" ON "Registration"("cohortId");

-- CreateIndex
CREATE INDEX "Registration_cohortId_applicationNo_idx" ON "Registration"("cohortId", "applicationNo");

-- CreateIndex
CREATE INDEX "Registration_changeNo_idx" ON "Registration"("changeNo");

-- CreateIndex
CREATE INDEX "Registration_cohortId_personalEmailProblem_idx" ON "Registration"("cohortId", "personalEmailProblem");

-- CreateIndex
CREATE INDEX "ChecklistItem_state_submittedAt_idx" ON "ChecklistItem"("state", "submittedAt");

-- CreateIndex
CREATE INDEX "ChecklistItem_cohortId_registrationStatus_state_submittedAt_idx" ON "ChecklistItem"("cohortId", "registrationStatus", "state", "submittedAt", "expectedVerificationBy", "programCode", "studyLevel");

-- CreateIndex
CREATE INDEX "Document_sha256_idx" ON "Document"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "Document_registrationNo_itemKey_version_page_key" ON "Document"("registrationNo", "itemKey", "version", "page");

-- CreateIndex
CREATE INDEX "RateLimitHit_resetAt_idx" ON "RateLimitHit"("resetAt");

-- CreateIndex
CREATE INDEX "StoredFile_lastReceivedAt_idx" ON "StoredFile"("lastReceivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Review_registrationNo_seq_key" ON "Review"("registrationNo", "seq");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- CreateIndex
CREATE UNIQUE INDEX "LateEvent_deliveryKey_key" ON "LateEvent"("deliveryKey");

-- CreateIndex
CREATE INDEX "LateEvent_at_idx" ON "LateEvent"("at");

-- CreateIndex
CREATE INDEX "EmailLog_registrationNo_idx" ON "EmailLog"("registrationNo");

-- CreateIndex
CREATE UNIQUE INDEX "StaffApiKey_keyHash_key" ON "StaffApiKey"("keyHash");

-- CreateIndex
CREATE INDEX "ImportJob_sha256_idx" ON "ImportJob"("sha256");

-- CreateIndex
CREATE INDEX "EmailEvent_providerId_idx" ON "EmailEvent"("providerId");

-- CreateIndex
CREATE INDEX "EmailEvent_registrationNo_idx" ON "EmailEvent"("registrationNo");

-- CreateIndex
CREATE INDEX "EmailDelivery_idempotencyKey_idx" ON "EmailDelivery"("idempotencyKey");

-- CreateIndex
CREATE INDEX "EmailDelivery_registrationNo_idx" ON "EmailDelivery"("registrationNo");

-- CreateIndex
CREATE INDEX "EmailDelivery_state_idx" ON "EmailDelivery"("state");

-- CreateIndex
CREATE UNIQUE INDEX "UniversityAccountClaim_deliveryId_key" ON "UniversityAccountClaim"("deliveryId");

-- CreateIndex
CREATE INDEX "ReviewClaim_claimant_idx" ON "ReviewClaim"("claimant");

-- CreateIndex
CREATE INDEX "StaffSession_subject_idx" ON "StaffSession"("subject");

-- AddForeignKey
ALTER TABLE "Registration" ADD CONSTRAINT "Registration_cohortId_fkey" FOREIGN KEY ("cohortId") REFERENCES "Cohort"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StatusSnapshot" ADD CONSTRAINT "StatusSnapshot_applicationNo_fkey" FOREIGN KEY ("applicationNo") REFERENCES "Registration"("applicationNo") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChecklistItem" ADD CONSTRAINT "ChecklistItem_registrationNo_fkey" FOREIGN KEY ("registrationNo") REFERENCES "Registration"("applicationNo") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_registrationNo_fkey" FOREIGN KEY ("registrationNo") REFERENCES "Registration"("applicationNo") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_sha256_fkey" FOREIGN KEY ("sha256") REFERENCES "StoredFile"("sha256") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Review" ADD CONSTRAINT "Review_registrationNo_fkey" FOREIGN KEY ("registrationNo") REFERENCES "Registration"("applicationNo") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_registrationNo_fkey" FOREIGN KEY ("registrationNo") REFERENCES "Registration"("applicationNo") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LateEvent" ADD CONSTRAINT "LateEvent_registrationNo_fkey" FOREIGN KEY ("registrationNo") REFERENCES "Registration"("applicationNo") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailLog" ADD CONSTRAINT "EmailLog_registrationNo_fkey" FOREIGN KEY ("registrationNo") REFERENCES "Registration"("applicationNo") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UniversityAccountClaim" ADD CONSTRAINT "UniversityAccountClaim_deliveryId_fkey" FOREIGN KEY ("deliveryId") REFERENCES "WebhookDelivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;

