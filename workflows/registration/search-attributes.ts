/**
 * Custom search attributes of registration workflows: what staff filter on in
 * the Temporal UI. Registered at start by src/temporal/search-attributes.ts and
 * upserted by the workflow; defined once here so both agree.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const RegistrationStatus = defineSearchAttributeKey('RegistrationStatus', SearchAttributeType.KEYWORD);
export const ProgramCode = defineSearchAttributeKey('ProgramCode', SearchAttributeType.KEYWORD);
export const StudyLevel = defineSearchAttributeKey('StudyLevel', SearchAttributeType.KEYWORD);
export const StudentCategory = defineSearchAttributeKey('StudentCategory', SearchAttributeType.KEYWORD);
export const CohortId = defineSearchAttributeKey('CohortId', SearchAttributeType.KEYWORD);
export const RegistrationDeadline = defineSearchAttributeKey('RegistrationDeadline', SearchAttributeType.DATETIME);
export const OutstandingItems = defineSearchAttributeKey('OutstandingItems', SearchAttributeType.KEYWORD_LIST);
/** BOUNCED or COMPLAINED while mail to the personal email fails for good; unset otherwise. */
export const PersonalEmailProblem = defineSearchAttributeKey('PersonalEmailProblem', SearchAttributeType.KEYWORD);

export const registrationSearchAttributes = [
  RegistrationStatus,
  ProgramCode,
  StudyLevel,
  StudentCategory,
  CohortId,
  RegistrationDeadline,
  OutstandingItems,
  PersonalEmailProblem,
] as const;
