export { checkPrerequisites, type PrerequisiteCheck, type Prerequisites } from './prerequisites.js';
